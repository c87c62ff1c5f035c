import type { MeteringPayload } from '../../functions/metering/samples';
import type { BatchSpool } from '../batch-sender';
import type { DegradedRegistry } from '../degraded';
import { StringPool } from '../intern';
import type { InventoryPipeline } from '../inventory-pipeline';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import type { ChargingMode } from './charging';
import { metricsApiUsage } from './metrics-api-usage';
import { startOwnerMap } from './owner-map';
import { prometheusUsage } from './prometheus-usage';
import { startPvcSizes } from './pvc-sizes';
import { MeteringSampler } from './sampler';
import { fileWindowState, memoryWindowState } from './window-state';

export const METERING_KIND = 'metering';

export interface MeteringRunnerOptions {
  client: KubeClient;
  /** The leader's inventory informers: pods and namespaces are shared, not watched twice. */
  pipeline: InventoryPipeline;
  intervalSeconds: number;
  charging: ChargingMode;
  prometheusUrl?: string;
  /** Where the last window end is kept; memory only when absent. */
  dataDir?: string;
  spool: Pick<BatchSpool, 'unacknowledged' | 'read'>;
  submit: (payload: MeteringPayload) => Promise<unknown>;
  /** The cluster's watermark from the Lease (see lease-window.ts). */
  clusterWindowEnd?: number;
  /** After each metered round: the end of its last window (for the Lease). */
  onMetered?: (windowEnd: number) => void;
  log: Logger;
  /** Where unreadable resources are reported. */
  degraded?: DegradedRegistry;
  stallTimeoutMs?: number;
  /** False: the caller drives sampler.begin/tick itself (tests). Default true. */
  autoStart?: boolean;
  /** Clock (ms), for tests. */
  now?: () => number;
  /** Pods per batch (default 5,000). */
  maxPodsPerBatch?: number;
}

export interface MeteringRunner {
  sampler: MeteringSampler;
  /** Resolves once pods, namespaces, owners and PVCs are all listed. */
  ready(): Promise<void>;
  stop(): Promise<void>;
}

/** The window end of the newest metering batch still waiting in the spool. */
async function newestSpooledWindowEnd(
  spool: MeteringRunnerOptions['spool'],
): Promise<number | undefined> {
  for (const seq of spool.unacknowledged().reverse()) {
    const batch = await spool.read(seq);
    if (batch?.kind !== METERING_KIND) continue;
    const end = (batch.payload as { windowEnd?: unknown }).windowEnd;
    if (typeof end === 'number') return end;
  }
  return undefined;
}

/** Metering on the leader: owner and PVC maps, the usage source, the sampler. */
export function startMetering(options: MeteringRunnerOptions): MeteringRunner {
  const { client, pipeline, log } = options;
  const owners = startOwnerMap({
    client,
    log,
    pool: new StringPool(),
    stallTimeoutMs: options.stallTimeoutMs,
    degraded: options.degraded,
  });
  const pvcs = startPvcSizes({
    client,
    log,
    stallTimeoutMs: options.stallTimeoutMs,
    degraded: options.degraded,
  });
  // Settled, not synced: an unreadable resource is metered without (and reported), not waited on.
  const ready = async () => {
    await Promise.all([pipeline.waitForSync(), owners.waitForSync(), pvcs.waitForSettled()]);
  };
  const sampler = new MeteringSampler({
    pods: pipeline.pods,
    namespaces: pipeline.namespaces,
    owners,
    pvcBytes: pvcs.items,
    usage: options.prometheusUrl ? prometheusUsage(options.prometheusUrl) : metricsApiUsage(client),
    reportUsage: options.prometheusUrl
      ? undefined
      : options.degraded?.reporter('metering/metrics', 'pods.metrics.k8s.io'),
    intervalSeconds: options.intervalSeconds,
    charging: options.charging,
    submit: async (payload) => {
      await options.submit(payload);
    },
    state: options.dataDir ? fileWindowState(options.dataDir) : memoryWindowState(),
    spooledWindowEnd: () => newestSpooledWindowEnd(options.spool),
    clusterWindowEnd: options.clusterWindowEnd,
    onMetered: options.onMetered,
    log,
    ready,
    now: options.now,
    maxPodsPerBatch: options.maxPodsPerBatch,
  });
  if (options.autoStart !== false) sampler.start();
  log.info('metering started', {
    intervalSeconds: options.intervalSeconds,
    charging: options.charging,
    usage: options.prometheusUrl ? 'prometheus' : 'metrics.k8s.io',
  });
  return {
    sampler,
    ready,
    stop: async () => {
      await sampler.stop();
      await Promise.all([owners.stop(), pvcs.stop()]);
    },
  };
}
