import { type MeteringMetric, meteringMetrics } from '../../protocol/metering-samples';
import type { Quantities } from './store-query-types';

const GiB = 1024 ** 3;
const HOUR = 3600;

/** The API's metrics in the order of stored quantities (cpu, mem, rx, tx, pvc). */
export const metricOrder = Object.keys(meteringMetrics) as MeteringMetric[];

/** Stored unit → API unit: core-seconds → core-hours, byte-seconds → GiB-hours, bytes → GiB. */
export const toApiUnit: Record<MeteringMetric, number> = {
  cpu_usage: 1 / HOUR,
  memory_usage: 1 / (GiB * HOUR),
  net_bytes_received: 1 / GiB,
  net_bytes_transmitted: 1 / GiB,
  pvc_bytes_total: 1 / (GiB * HOUR),
};

/** Quantities converted to API units, per metric. */
export function inApiUnits(q: Quantities): Record<MeteringMetric, number> {
  const out = {} as Record<MeteringMetric, number>;
  metricOrder.forEach((metric, i) => {
    out[metric] = (q[i] ?? 0) * toApiUnit[metric];
  });
  return out;
}
