import type {
  ClusterInfo,
  EventSummary,
  InventoryUpdate,
  NodeSummary,
} from '../functions/tunnel/inventory';
import { Informer } from './informers';
import { StringPool } from './intern';
import { InventoryTracker, type SequenceSource } from './inventory';
import type { KubeClient } from './kube';
import type { Logger } from './log';
import {
  type NamespaceRecord,
  type PodRecord,
  projectNamespace,
  projectNode,
  projectPod,
  projectWarningEvent,
  projectWorkload,
  type WorkloadRecord,
} from './projections';

export interface InventoryPipelineOptions {
  client: KubeClient;
  log: Logger;
  send: (update: InventoryUpdate) => void;
  sequence: SequenceSource;
  flushIntervalMs?: number;
  /** Informer tuning, mostly for tests. */
  stallTimeoutMs?: number;
  pageSize?: number;
}

export interface InventoryPipeline {
  tracker: InventoryTracker;
  informers: Informer<unknown>[];
  /** The pod records, which metering reads. */
  pods: Informer<PodRecord>;
  /** Namespaces with their workspace label, which metering reads too. */
  namespaces: Informer<NamespaceRecord>;
  hasSynced(): boolean;
  waitForSync(): Promise<void>;
  setCluster(info: ClusterInfo): void;
  stop(): Promise<void>;
}

/** All informers the inventory needs, wired to a tracker, started. */
export function startInventoryPipeline(options: InventoryPipelineOptions): InventoryPipeline {
  const { client, log } = options;
  const pool = new StringPool();
  const make = <T>(
    name: string,
    path: string,
    project: (raw: unknown, pool: StringPool) => T | undefined,
    fieldSelector?: string,
  ) =>
    new Informer<T>({
      name,
      client,
      path,
      fieldSelector,
      project: (raw) => project(raw, pool),
      log: log.child({ informer: name }),
      stallTimeoutMs: options.stallTimeoutMs,
      pageSize: options.pageSize,
    });

  const nodes = make<NodeSummary>('nodes', '/api/v1/nodes', projectNode);
  const namespaces = make<NamespaceRecord>('namespaces', '/api/v1/namespaces', projectNamespace);
  const pods = make<PodRecord>('pods', '/api/v1/pods', projectPod);
  const events = make<EventSummary>(
    'events',
    '/api/v1/events',
    projectWarningEvent,
    'type=Warning',
  );
  const workloads = {
    deployments: make<WorkloadRecord>('deployments', '/apis/apps/v1/deployments', projectWorkload),
    statefulsets: make<WorkloadRecord>(
      'statefulsets',
      '/apis/apps/v1/statefulsets',
      projectWorkload,
    ),
    daemonsets: make<WorkloadRecord>('daemonsets', '/apis/apps/v1/daemonsets', projectWorkload),
    jobs: make<WorkloadRecord>('jobs', '/apis/batch/v1/jobs', projectWorkload),
    cronjobs: make<WorkloadRecord>('cronjobs', '/apis/batch/v1/cronjobs', projectWorkload),
  };
  const tracker = new InventoryTracker({
    sources: { nodes, namespaces, pods, events, workloads },
    send: options.send,
    log,
    flushIntervalMs: options.flushIntervalMs,
    sequence: options.sequence,
  });
  const informers = [
    nodes,
    namespaces,
    pods,
    events,
    ...Object.values(workloads),
  ] as Informer<unknown>[];
  for (const informer of informers) informer.start();

  return {
    tracker,
    informers,
    pods,
    namespaces,
    hasSynced: () => informers.every((i) => i.hasSynced),
    waitForSync: async () => {
      await Promise.all(informers.map((i) => i.waitForSync()));
    },
    setCluster: (info) => tracker.setCluster(info),
    stop: async () => {
      tracker.stop();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
