/**
 * The charging math, pure: what one pod is billed for one window. Kept
 * apart from sampling and I/O so every edge case (requests vs usage, pods
 * living part of a window, counter resets, hour boundaries) is unit-tested.
 *
 * Quantities, not rates: cpu in core-seconds, memory and PVC in
 * byte-seconds, network in bytes, so sums are exact whatever the query step.
 */

/** "max": max(request, usage), as KubeSphere and OpenCost charge; "usage": usage only. */
export type ChargingMode = 'max' | 'usage';
export const chargingModes: readonly ChargingMode[] = ['max', 'usage'];

/** Unix seconds, [start, end). */
export interface MeteringWindow {
  start: number;
  end: number;
}

export interface PodCharges {
  cpuCoreSeconds: number;
  memoryByteSeconds: number;
  netReceivedBytes: number;
  netTransmittedBytes: number;
  pvcByteSeconds: number;
}

/** Everything known about one pod for one window. */
export interface PodObservation {
  /** Sum of container requests. */
  requestCpuCores: number;
  requestMemoryBytes: number;
  /** Cores in use at the sample (metrics.k8s.io), when known. */
  usageCpuCores?: number;
  /** Core-seconds used during the window (Prometheus counter delta); wins over usageCpuCores. */
  usageCpuCoreSeconds?: number;
  /** Working set at the sample. */
  usageMemoryBytes?: number;
  /** Bytes during the window (counter deltas, see counterDelta); 0 when unknown. */
  netReceivedBytes?: number;
  netTransmittedBytes?: number;
  /** Requested storage of the pod's PVCs. */
  pvcBytes: number;
  /** When the pod started (unix seconds), if known: it is charged from then on. */
  startedAt?: number;
  /** When the pod went away (unix seconds): it is not charged after that. */
  goneAt?: number;
}

/** The seconds of the window the pod was there. */
export function aliveSeconds(window: MeteringWindow, startedAt?: number, goneAt?: number): number {
  const from = Math.max(window.start, startedAt ?? window.start);
  const to = Math.min(window.end, goneAt ?? window.end);
  return Math.max(0, to - from);
}

const nonNegative = (value: number | undefined): number =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : 0;

/** One pod's bill for one window. */
export function chargePod(
  pod: PodObservation,
  window: MeteringWindow,
  mode: ChargingMode,
): PodCharges {
  const seconds = aliveSeconds(window, pod.startedAt, pod.goneAt);
  const usedCpu =
    pod.usageCpuCoreSeconds !== undefined
      ? nonNegative(pod.usageCpuCoreSeconds)
      : nonNegative(pod.usageCpuCores) * seconds;
  const usedMemory = nonNegative(pod.usageMemoryBytes) * seconds;
  const charge = (requested: number, used: number) =>
    mode === 'max' ? Math.max(nonNegative(requested) * seconds, used) : used;
  return {
    cpuCoreSeconds: charge(pod.requestCpuCores, usedCpu),
    memoryByteSeconds: charge(pod.requestMemoryBytes, usedMemory),
    netReceivedBytes: nonNegative(pod.netReceivedBytes),
    netTransmittedBytes: nonNegative(pod.netTransmittedBytes),
    pvcByteSeconds: nonNegative(pod.pvcBytes) * seconds,
  };
}

/**
 * What a monotonically increasing counter grew by since the last sample.
 * A counter that went down was reset (container restart): it counted from
 * zero, so its current value is the growth. With no previous sample only
 * a counter known to have started since then (a pod born after the last
 * sample) can be counted whole; otherwise its history is unknown: 0.
 */
export function counterDelta(
  previous: number | undefined,
  current: number,
  startedSincePrevious: boolean,
): number {
  if (!Number.isFinite(current) || current < 0) return 0;
  if (previous === undefined) return startedSincePrevious ? current : 0;
  return current >= previous ? current - previous : current;
}

const HOUR = 3600;

/** The last interval boundary at or before `nowSeconds` (boundaries are multiples of the interval since the epoch). */
export function alignedBoundary(nowSeconds: number, intervalSeconds: number): number {
  return Math.floor(nowSeconds / intervalSeconds) * intervalSeconds;
}

/**
 * The windows covering [from, to): one per interval, aligned to interval
 * boundaries, and also cut at hour boundaries (an interval that does not
 * divide an hour would otherwise straddle one), so no window spans two
 * hours and hourly rollups are exact. At most `maxWindows`, the latest ones.
 */
export function windowsBetween(
  from: number,
  to: number,
  intervalSeconds: number,
  maxWindows = Number.POSITIVE_INFINITY,
): MeteringWindow[] {
  const out: MeteringWindow[] = [];
  let start = from;
  while (start < to) {
    const nextInterval = alignedBoundary(start, intervalSeconds) + intervalSeconds;
    const nextHour = alignedBoundary(start, HOUR) + HOUR;
    const end = Math.min(nextInterval, nextHour, to);
    out.push({ start, end });
    start = end;
  }
  return out.length > maxWindows ? out.slice(out.length - maxWindows) : out;
}
