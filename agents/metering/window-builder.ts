import type { MeteringPayload, PodUsage } from '../../functions/metering/samples';
import type { NamespaceRecord, PodRecord } from '../projections';
import { type OwnerLookup, workloadOf } from './attribution';
import {
  aliveSeconds,
  type ChargingMode,
  chargePod,
  counterDelta,
  type MeteringWindow,
} from './charging';
import type { PodUsageSample } from './usage-source';

/** A pod that stopped running (deleted, or finished) since the last sample. */
export interface DepartedPod {
  record: PodRecord;
  /** Unix seconds. */
  goneAt: number;
}

/** Everything one sampling round knows. */
export interface SampleRound {
  /** Unix seconds of this sample and of the previous one (undefined: first since start). */
  sampledAt: number;
  previousSampledAt?: number;
  running: Iterable<PodRecord>;
  departed: Iterable<DepartedPod>;
  usage: Map<string, PodUsageSample>;
  previousUsage: Map<string, PodUsageSample>;
  namespaces: { get(name: string): NamespaceRecord | undefined };
  owners: OwnerLookup;
  pvcBytes: { get(key: string): number | undefined };
}

const keyOf = (pod: { namespace: string; name: string }) => `${pod.namespace}/${pod.name}`;

interface Counters {
  cpuCoreSeconds?: number;
  netReceivedBytes: number;
  netTransmittedBytes: number;
}

/** Growth of the pod's counters between the previous sample and this one. */
function counterGrowth(
  pod: PodRecord,
  now: PodUsageSample | undefined,
  before: PodUsageSample | undefined,
  previousSampledAt: number | undefined,
): Counters {
  const fresh = previousSampledAt !== undefined && pod.startedAt >= previousSampledAt;
  const delta = (current: number | undefined, previous: number | undefined) =>
    current === undefined ? 0 : counterDelta(previous, current, fresh);
  const cpuKnown =
    now?.cpuSecondsTotal !== undefined && (before?.cpuSecondsTotal !== undefined || fresh);
  return {
    cpuCoreSeconds: cpuKnown ? delta(now?.cpuSecondsTotal, before?.cpuSecondsTotal) : undefined,
    netReceivedBytes: delta(now?.netReceivedTotal, before?.netReceivedTotal),
    netTransmittedBytes: delta(now?.netTransmittedTotal, before?.netTransmittedTotal),
  };
}

function pvcBytesOf(pod: PodRecord, sizes: SampleRound['pvcBytes']): number {
  let total = 0;
  for (const claim of pod.pvcClaims) total += sizes.get(`${pod.namespace}/${claim}`) ?? 0;
  return total;
}

const isZero = (u: PodUsage) =>
  u.cpuCoreSeconds === 0 &&
  u.memoryByteSeconds === 0 &&
  u.netReceivedBytes === 0 &&
  u.netTransmittedBytes === 0 &&
  u.pvcByteSeconds === 0;

/**
 * The per-pod usage of each window. Windows are the (aligned) pieces of
 * [previous sample, this sample); counter growth over that span is shared
 * out by seconds, rates (cores, working set) apply to every piece.
 * A pod that appears twice (deleted and recreated under its name) is
 * summed into one entry.
 */
export function buildWindows(
  round: SampleRound,
  windows: MeteringWindow[],
  mode: ChargingMode,
): MeteringPayload[] {
  if (windows.length === 0) return [];
  const spanStart = windows[0]?.start ?? 0;
  const spanSeconds = (windows[windows.length - 1]?.end ?? 0) - spanStart;
  const perWindow = windows.map(() => new Map<string, PodUsage>());

  const add = (pod: PodRecord, sample: PodUsageSample | undefined, goneAt?: number) => {
    const counters = counterGrowth(
      pod,
      round.usage.get(keyOf(pod)),
      round.previousUsage.get(keyOf(pod)),
      round.previousSampledAt,
    );
    const startedAt = pod.startedAt || undefined;
    const lived = aliveSeconds(
      { start: spanStart, end: spanStart + spanSeconds },
      startedAt,
      goneAt,
    );
    const { workloadKind, workload } = workloadOf(pod, round.owners);
    const workspace = round.namespaces.get(pod.namespace)?.workspace;
    const pvcBytes = pvcBytesOf(pod, round.pvcBytes);
    windows.forEach((window, index) => {
      const share = lived > 0 ? aliveSeconds(window, startedAt, goneAt) / lived : 0;
      if (share === 0) return;
      const charges = chargePod(
        {
          requestCpuCores: pod.cpuMillis / 1000,
          requestMemoryBytes: pod.memoryBytes,
          usageCpuCores: sample?.cpuCores,
          usageCpuCoreSeconds:
            counters.cpuCoreSeconds === undefined ? undefined : counters.cpuCoreSeconds * share,
          usageMemoryBytes: sample?.memoryBytes,
          netReceivedBytes: counters.netReceivedBytes * share,
          netTransmittedBytes: counters.netTransmittedBytes * share,
          pvcBytes,
          startedAt,
          goneAt,
        },
        window,
        mode,
      );
      const map = perWindow[index] as Map<string, PodUsage>;
      const key = keyOf(pod);
      const existing = map.get(key);
      if (existing) {
        existing.cpuCoreSeconds += charges.cpuCoreSeconds;
        existing.memoryByteSeconds += charges.memoryByteSeconds;
        existing.netReceivedBytes += charges.netReceivedBytes;
        existing.netTransmittedBytes += charges.netTransmittedBytes;
        existing.pvcByteSeconds += charges.pvcByteSeconds;
        return;
      }
      const usage: PodUsage = {
        namespace: pod.namespace,
        ...(workspace ? { workspace } : {}),
        node: pod.node,
        pod: pod.name,
        workloadKind,
        workload,
        ...charges,
      };
      if (!isZero(usage)) map.set(key, usage);
    });
  };

  for (const pod of round.running) add(pod, round.usage.get(keyOf(pod)));
  for (const gone of round.departed)
    add(gone.record, round.previousUsage.get(keyOf(gone.record)), gone.goneAt);

  return windows.map((window, index) => ({
    windowStart: window.start,
    windowEnd: window.end,
    charging: mode,
    pods: [...(perWindow[index] as Map<string, PodUsage>).values()],
  }));
}

/** Splits a window's payload so no batch carries more than `maxPods` pods (frame size bound). */
export function splitPayload(payload: MeteringPayload, maxPods: number): MeteringPayload[] {
  if (payload.pods.length <= maxPods) return [payload];
  const parts: MeteringPayload[] = [];
  for (let i = 0; i < payload.pods.length; i += maxPods)
    parts.push({ ...payload, pods: payload.pods.slice(i, i + maxPods) });
  return parts;
}
