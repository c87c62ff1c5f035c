import {
  type ClusterInfo,
  type EventSummary,
  emptyWorkloadCounts,
  type InventoryChanges,
  type InventoryDelta,
  type InventorySnapshot,
  type InventoryUpdate,
  type NamespaceSummary,
  type NodeSummary,
  type WorkloadCounts,
} from '../functions/tunnel/inventory';
import type { Informer, InformerEvent } from './informers';
import type { Logger } from './log';
import type { NamespaceRecord, PodRecord, WorkloadRecord } from './projections';

type WorkloadKind = Exclude<keyof WorkloadCounts, 'pods'>;

export interface InventorySources {
  nodes: Informer<NodeSummary>;
  namespaces: Informer<NamespaceRecord>;
  pods: Informer<PodRecord>;
  events: Informer<EventSummary>;
  workloads: Record<WorkloadKind, Informer<WorkloadRecord>>;
}

export interface InventoryTrackerOptions {
  sources: InventorySources;
  /** Where updates go (the tunnel); called only while active. */
  send: (update: InventoryUpdate) => void;
  log: Logger;
  /** Deltas are coalesced over this period (default 1 s). */
  flushIntervalMs?: number;
  /** Shared across trackers so seq keeps growing when leadership comes back. */
  sequence?: SequenceSource;
}

export interface SequenceSource {
  next(): number;
  current(): number;
}

export function createSequence(start = 0): SequenceSource {
  let value = start;
  return { next: () => ++value, current: () => value };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Turns informer events into inventory updates: a snapshot whenever one is
 * asked for (new leader, tunnel reconnect), then deltas of what changed,
 * coalesced per flush period, with consecutive sequence numbers. Workload
 * counts per namespace are kept incrementally so a pod churning in a
 * 150,000-pod cluster costs a counter update, not a recount.
 */
export class InventoryTracker {
  private readonly counts = new Map<string, WorkloadCounts>();
  private readonly dirtyNodes = new Set<string>();
  private readonly dirtyNamespaces = new Set<string>();
  private readonly dirtyEvents = new Set<string>();
  private cluster: ClusterInfo = { kubernetesVersion: '', platform: '' };
  private clusterDirty = false;
  private readonly seq: SequenceSource;
  private active = false;
  private snapshotWanted = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly options: InventoryTrackerOptions) {
    const { sources } = options;
    this.seq = options.sequence ?? createSequence();
    this.unsubscribe.push(
      sources.nodes.on((e) => this.onKeyed(e, this.dirtyNodes)),
      sources.events.on((e) => this.onKeyed(e, this.dirtyEvents)),
      sources.namespaces.on((e) => this.onKeyed(e, this.dirtyNamespaces)),
      sources.pods.on((e) => this.onCounted(e, 'pods')),
    );
    for (const [kind, informer] of Object.entries(sources.workloads) as [
      WorkloadKind,
      Informer<WorkloadRecord>,
    ][]) {
      this.unsubscribe.push(informer.on((e) => this.onCounted(e, kind)));
    }
  }

  /** Last sequence number used. */
  get sequence(): number {
    return this.seq.current();
  }

  setCluster(info: ClusterInfo): void {
    if (same(info, this.cluster)) return;
    this.cluster = info;
    this.clusterDirty = true;
  }

  /** Leader: push a snapshot as soon as the informers are settled (listed, or known unreadable), then deltas. Not leader: push nothing. */
  setActive(active: boolean): void {
    if (active === this.active) return;
    this.active = active;
    if (active) {
      this.snapshotWanted = true;
      this.timer = setInterval(() => this.tick(), this.options.flushIntervalMs ?? 1000);
      this.tick();
    } else if (this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** After a (re)connect the edge may have lost state: the next push is a snapshot. */
  requestSnapshot(): void {
    this.snapshotWanted = true;
    if (this.active) this.tick();
  }

  stop(): void {
    this.setActive(false);
    for (const off of this.unsubscribe.splice(0)) off();
  }

  private synced(): boolean {
    const { sources } = this.options;
    return [
      sources.nodes,
      sources.namespaces,
      sources.pods,
      sources.events,
      ...Object.values(sources.workloads),
    ].every((informer) => informer.settled);
  }

  /** Sends what is due now; exposed for tests that drive time themselves. */
  tick(): InventoryUpdate | undefined {
    if (!this.active || !this.synced()) return undefined;
    const update = this.snapshotWanted ? this.snapshot() : this.delta();
    if (update) this.options.send(update);
    return update;
  }

  snapshot(): InventorySnapshot {
    const { sources } = this.options;
    this.snapshotWanted = false;
    this.clearDirty();
    return {
      type: 'snapshot',
      seq: this.seq.next(),
      cluster: this.cluster,
      nodes: [...sources.nodes.items.values()],
      namespaces: [...sources.namespaces.items.values()].map((ns) => this.namespaceSummary(ns)),
      events: [...sources.events.items.values()],
    };
  }

  private delta(): InventoryDelta | undefined {
    const { sources } = this.options;
    if (
      !this.clusterDirty &&
      this.dirtyNodes.size + this.dirtyNamespaces.size + this.dirtyEvents.size === 0
    )
      return undefined;
    const delta: InventoryDelta = { type: 'delta', seq: this.seq.next() };
    if (this.clusterDirty) delta.cluster = this.cluster;
    const nodes = changes(this.dirtyNodes, (key) => sources.nodes.items.get(key));
    if (nodes) delta.nodes = nodes;
    const namespaces = changes(this.dirtyNamespaces, (key) => {
      const ns = sources.namespaces.items.get(key);
      return ns ? this.namespaceSummary(ns) : undefined;
    });
    if (namespaces) delta.namespaces = namespaces;
    const events = changes(this.dirtyEvents, (key) => sources.events.items.get(key));
    if (events) delta.events = events;
    this.clearDirty();
    return delta;
  }

  private clearDirty(): void {
    this.clusterDirty = false;
    this.dirtyNodes.clear();
    this.dirtyNamespaces.clear();
    this.dirtyEvents.clear();
  }

  private namespaceSummary(ns: NamespaceRecord): NamespaceSummary {
    return { ...ns, workloads: { ...(this.counts.get(ns.name) ?? emptyWorkloadCounts()) } };
  }

  private onKeyed<T>(event: InformerEvent<T>, dirty: Set<string>): void {
    // Relists and heartbeats re-deliver identical records: only real changes go up.
    if (event.type === 'upsert' && event.previous !== undefined && same(event.previous, event.item))
      return;
    dirty.add(event.key);
  }

  private onCounted(event: InformerEvent<{ namespace: string }>, kind: keyof WorkloadCounts): void {
    if (event.type === 'upsert' && event.previous !== undefined) return;
    const namespace = event.type === 'upsert' ? event.item.namespace : event.previous.namespace;
    let counts = this.counts.get(namespace);
    if (!counts) {
      counts = emptyWorkloadCounts();
      this.counts.set(namespace, counts);
    }
    counts[kind] += event.type === 'upsert' ? 1 : -1;
    if (counts[kind] < 0) counts[kind] = 0;
    // A namespace not seen yet goes up with its counts when it arrives.
    if (this.options.sources.namespaces.items.has(namespace)) this.dirtyNamespaces.add(namespace);
  }
}

function changes<T>(
  dirty: Set<string>,
  current: (key: string) => T | undefined,
): InventoryChanges<T> | undefined {
  if (dirty.size === 0) return undefined;
  const out: InventoryChanges<T> = { upserts: [], deletes: [] };
  for (const key of dirty) {
    const item = current(key);
    if (item === undefined) out.deletes.push(key);
    else out.upserts.push(item);
  }
  return out;
}
