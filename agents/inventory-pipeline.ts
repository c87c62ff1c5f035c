import type {
  ClusterInfo,
  EventSummary,
  InventoryUpdate,
  NodeSummary,
} from '../functions/tunnel/inventory';
import type { DegradedRegistry } from './degraded';
import { collectionPath, RESOURCES, type ResourceRef } from './discovery';
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
  /** Where unreadable resources are reported (the agent's; a private one when absent). */
  degraded?: DegradedRegistry;
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
  /** Every informer listed or known unreadable (see Informer.settled). */
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
    ref: ResourceRef,
    project: (raw: unknown, pool: StringPool) => T | undefined,
    fieldSelector?: string,
  ) =>
    new Informer<T>({
      name,
      client,
      path: `/${ref.group ? `apis/${ref.group}` : 'api'}/${ref.versions[0]}/${ref.plural}`,
      resolvePath:
        ref.versions.length > 1 ? (signal) => collectionPath(client, ref, signal) : undefined,
      report: options.degraded?.reporter(`inventory/${name}`, ref.resource),
      fieldSelector,
      project: (raw) => project(raw, pool),
      log: log.child({ informer: name }),
      stallTimeoutMs: options.stallTimeoutMs,
      pageSize: options.pageSize,
    });

  const nodes = make<NodeSummary>('nodes', RESOURCES.nodes, projectNode);
  const namespaces = make<NamespaceRecord>('namespaces', RESOURCES.namespaces, projectNamespace);
  const pods = make<PodRecord>('pods', RESOURCES.pods, projectPod);
  const events = make<EventSummary>(
    'events',
    RESOURCES.events,
    projectWarningEvent,
    'type=Warning',
  );
  const workloads = {
    deployments: make<WorkloadRecord>('deployments', RESOURCES.deployments, projectWorkload),
    statefulsets: make<WorkloadRecord>('statefulsets', RESOURCES.statefulsets, projectWorkload),
    daemonsets: make<WorkloadRecord>('daemonsets', RESOURCES.daemonsets, projectWorkload),
    jobs: make<WorkloadRecord>('jobs', RESOURCES.jobs, projectWorkload),
    cronjobs: make<WorkloadRecord>('cronjobs', RESOURCES.cronjobs, projectWorkload),
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
    hasSynced: () => informers.every((i) => i.settled),
    waitForSync: async () => {
      await Promise.all(informers.map((i) => i.waitForSettled()));
    },
    setCluster: (info) => tracker.setCluster(info),
    stop: async () => {
      tracker.stop();
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
