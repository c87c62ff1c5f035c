import type { MeteringPayload, PodUsage } from '../../protocol/metering-samples';
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
  /** Iterated once per window: must be re-iterable (not a one-shot generator). */
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

/** One pod, one window: its PodUsage, or undefined when it owes nothing there. */
function meterPod(
  round: SampleRound,
  windows: MeteringWindow[],
  index: number,
  mode: ChargingMode,
  pod: PodRecord,
  key: string,
  sample: PodUsageSample | undefined,
  goneAt?: number,
): PodUsage | undefined {
  const window = windows[index] as MeteringWindow;
  const span = {
    start: windows[0]?.start ?? window.start,
    end: windows[windows.length - 1]?.end ?? window.end,
  };
  const startedAt = pod.startedAt || undefined;
  const lived = aliveSeconds(span, startedAt, goneAt);
  const share = lived > 0 ? aliveSeconds(window, startedAt, goneAt) / lived : 0;
  if (share === 0) return undefined;
  const counters = counterGrowth(
    pod,
    round.usage.get(key),
    round.previousUsage.get(key),
    round.previousSampledAt,
  );
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
      pvcBytes: pvcBytesOf(pod, round.pvcBytes),
      startedAt,
      goneAt,
    },
    window,
    mode,
  );
  const workspace = round.namespaces.get(pod.namespace)?.workspace;
  const usage: PodUsage = {
    namespace: pod.namespace,
    ...(workspace ? { workspace } : {}),
    node: pod.node,
    pod: pod.name,
    ...workloadOf(pod, round.owners),
    ...charges,
  };
  return isZero(usage) ? undefined : usage;
}

function addInto(into: PodUsage, more: PodUsage): void {
  into.cpuCoreSeconds += more.cpuCoreSeconds;
  into.memoryByteSeconds += more.memoryByteSeconds;
  into.netReceivedBytes += more.netReceivedBytes;
  into.netTransmittedBytes += more.netTransmittedBytes;
  into.pvcByteSeconds += more.pvcByteSeconds;
}

/**
 * The metered pods of window `index` of the round, one at a time, so a
 * 150,000-pod window is never all in memory: the caller cuts it into
 * batches as it goes. Windows are the (aligned) pieces of [previous
 * sample, this sample); counter growth over that span is shared out by
 * seconds, rates (cores, working set) apply to every piece. A pod that
 * appears twice (deleted and recreated under its name) comes out once,
 * both lives summed. `round.running` is iterated once per window.
 */
export function* windowPods(
  round: SampleRound,
  windows: MeteringWindow[],
  index: number,
  mode: ChargingMode,
): Generator<PodUsage> {
  // The few pods that went away: kept aside so a namesake still running can be added in.
  const departed = new Map<string, PodUsage>();
  for (const gone of round.departed) {
    const key = keyOf(gone.record);
    const usage = meterPod(
      round,
      windows,
      index,
      mode,
      gone.record,
      key,
      round.previousUsage.get(key),
      gone.goneAt,
    );
    if (!usage) continue;
    const existing = departed.get(key);
    if (existing) addInto(existing, usage);
    else departed.set(key, usage);
  }
  for (const pod of round.running) {
    const key = keyOf(pod);
    const usage = meterPod(round, windows, index, mode, pod, key, round.usage.get(key));
    if (!usage) continue;
    const earlier = departed.get(key);
    if (earlier) addInto(earlier, usage);
    else yield usage;
  }
  yield* departed.values();
}

/** Every window of the round with all its pods (tests, small clusters). */
export function buildWindows(
  round: SampleRound,
  windows: MeteringWindow[],
  mode: ChargingMode,
): MeteringPayload[] {
  return windows.map((window, index) => ({
    windowStart: window.start,
    windowEnd: window.end,
    charging: mode,
    pods: [...windowPods(round, windows, index, mode)],
  }));
}
