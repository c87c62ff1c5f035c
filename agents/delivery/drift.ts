import type { KubeObject } from '../../protocol/delivery';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** A list of objects keyed by `name` (containers, ports, env …): merged by key, as SSA does. */
const keyedByName = (list: unknown[]): boolean =>
  list.length > 0 && list.every((item) => isObject(item) && typeof item.name === 'string');

/** Whether every field of `desired` is in `live` with the same value (extra live fields are fine). */
function contains(desired: unknown, live: unknown): boolean {
  if (isObject(desired)) {
    if (!isObject(live)) return false;
    return Object.entries(desired).every(([key, value]) => contains(value, live[key]));
  }
  if (Array.isArray(desired)) {
    if (!Array.isArray(live)) return false;
    if (keyedByName(desired))
      return desired.every((item) => {
        const name = (item as Json).name;
        return contains(
          item,
          live.find((candidate) => isObject(candidate) && candidate.name === name),
        );
      });
    return desired.length === live.length && desired.every((item, i) => contains(item, live[i]));
  }
  return desired === live;
}

/**
 * Has someone changed a field edgetower applies? Only the manifest's
 * fields are compared: fields it does not set (an HPA's replicas when the
 * manifest omits them, defaults, status) are someone else's and never
 * drift. Secret payloads are not compared (the agent does not keep them).
 */
export function hasDrifted(desired: KubeObject, live: KubeObject): boolean {
  const { metadata, apiVersion: _a, kind, status: _s, ...rest } = desired;
  const wanted: Json = { ...rest };
  if (kind === 'Secret') {
    delete wanted.data;
    delete wanted.stringData;
  }
  const meta = metadata as Json;
  const wantedMeta = { labels: meta.labels, annotations: meta.annotations };
  return (
    !contains(wanted, live) || !contains(JSON.parse(JSON.stringify(wantedMeta)), live.metadata)
  );
}
