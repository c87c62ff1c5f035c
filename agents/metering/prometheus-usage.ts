import type { PodUsageSample, UsageSource } from './usage-source';

/**
 * One instant query per metric, summed per pod. Container series carry a
 * `container` label (the pod-level cgroup and the pause container do not,
 * or say "POD"): cpu and memory sum real containers only, so nothing is
 * counted twice; network counters live on the pod's sandbox, so they sum
 * every series of the pod.
 */
const QUERIES = {
  cpuSecondsTotal:
    'sum by (namespace, pod) (container_cpu_usage_seconds_total{container!="",container!="POD"})',
  memoryBytes:
    'sum by (namespace, pod) (container_memory_working_set_bytes{container!="",container!="POD"})',
  netReceivedTotal: 'sum by (namespace, pod) (container_network_receive_bytes_total)',
  netTransmittedTotal: 'sum by (namespace, pod) (container_network_transmit_bytes_total)',
} as const satisfies Record<string, string>;

type Field = keyof typeof QUERIES;

interface VectorResponse {
  status?: string;
  error?: string;
  data?: {
    resultType?: string;
    result?: { metric?: Record<string, string>; value?: [number, string] }[];
  };
}

export function prometheusUsage(
  prometheusUrl: string,
  fetchImpl: typeof fetch = fetch,
): UsageSource {
  const query = async (promql: string, signal?: AbortSignal) => {
    const url = `${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`;
    const res = await fetchImpl(url, { signal: signal ?? AbortSignal.timeout(30_000) });
    const body = (await res.json()) as VectorResponse;
    if (!res.ok || body.status !== 'success')
      throw new Error(`Prometheus query failed (${res.status}): ${body.error ?? 'no detail'}`);
    return body.data?.result ?? [];
  };
  return {
    name: 'prometheus',
    async sample(signal) {
      const out = new Map<string, PodUsageSample>();
      await Promise.all(
        (Object.entries(QUERIES) as [Field, string][]).map(async ([field, promql]) => {
          for (const series of await query(promql, signal)) {
            const namespace = series.metric?.namespace;
            const pod = series.metric?.pod;
            const value = Number(series.value?.[1]);
            if (!namespace || !pod || !Number.isFinite(value)) continue;
            const key = `${namespace}/${pod}`;
            const sample = out.get(key) ?? {};
            sample[field] = value;
            out.set(key, sample);
          }
        }),
      );
      return out;
    },
  };
}
