/**
 * The metering batch the agent spools and sends up the tunnel, and the edge
 * ingests into the cluster's MeteringStore. Shared by both sides: no Node or
 * Workers imports here.
 *
 * One batch covers one sampling window of one cluster. Quantities are
 * already metered (charged) by the agent: cpu in core-seconds and memory in
 * byte-seconds as max(request, usage) × window length (or usage only, per
 * the agent's charging mode), network in bytes transferred during the
 * window, PVC in requested byte-seconds. Sums of these are exact whatever
 * the query step, which is why the edge stores quantities, not rates.
 */
import { z } from 'zod';

/** Owning workload kinds a pod is attributed to ("Pod" for a bare pod). */
export const workloadKinds = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'ReplicaSet',
  'Pod',
] as const;
export type WorkloadKind = (typeof workloadKinds)[number];

const name = z.string().min(1).max(253);
const quantity = z.number().finite().nonnegative();

/** What one pod consumed during the window. */
export const podUsageSchema = z.object({
  namespace: name,
  /** The namespace's `kubesphere.io/workspace` label when the sample was taken. */
  workspace: name.optional(),
  node: z.string().max(253),
  pod: name,
  workloadKind: z.enum(workloadKinds),
  workload: name,
  cpuCoreSeconds: quantity,
  memoryByteSeconds: quantity,
  netReceivedBytes: quantity,
  netTransmittedBytes: quantity,
  pvcByteSeconds: quantity,
});
export type PodUsage = z.infer<typeof podUsageSchema>;

export const meteringPayloadSchema = z.object({
  /** Unix seconds; the window is [windowStart, windowEnd). */
  windowStart: z.number().int().nonnegative(),
  windowEnd: z.number().int().positive(),
  /** "max(request,usage)" or "usage": how cpu and memory were charged. */
  charging: z.enum(['max', 'usage']),
  pods: z.array(podUsageSchema).max(200_000),
});
export type MeteringPayload = z.infer<typeof meteringPayloadSchema>;

/** Metric names of the query API, with their units. */
export const meteringMetrics = {
  cpu_usage: 'core-hours',
  memory_usage: 'GiB-hours',
  net_bytes_received: 'GiB',
  net_bytes_transmitted: 'GiB',
  pvc_bytes_total: 'GiB-hours',
} as const;
export type MeteringMetric = keyof typeof meteringMetrics;
