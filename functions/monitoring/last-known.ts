/**
 * The last node figures this edge location saw, per cluster, so a
 * disconnected cluster shows what it last said (with its time) instead of
 * nothing or made-up zeros. Kept in the Workers Cache: per location and
 * best effort (an evicted entry just means "no earlier figures here").
 */
const KEEP_SECONDS = 7 * 86_400;
const ORIGIN = 'https://node-metrics.edgetower.invalid';

const keyOf = (clusterId: string, part: string) =>
  new Request(`${ORIGIN}/${encodeURIComponent(clusterId)}/${encodeURIComponent(part)}`);

function cache(): Cache | undefined {
  return typeof caches === 'undefined'
    ? undefined
    : (caches as CacheStorage & { default: Cache }).default;
}

export async function remember(clusterId: string, part: string, value: unknown): Promise<void> {
  await cache()
    ?.put(
      keyOf(clusterId, part),
      new Response(JSON.stringify(value), {
        headers: {
          'content-type': 'application/json',
          'cache-control': `max-age=${KEEP_SECONDS}`,
        },
      }),
    )
    .catch(() => undefined);
}

export async function recall<T>(clusterId: string, part: string): Promise<T | undefined> {
  const hit = await cache()
    ?.match(keyOf(clusterId, part))
    .catch(() => undefined);
  return hit ? ((await hit.json()) as T) : undefined;
}
