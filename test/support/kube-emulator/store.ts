import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { RESOURCE_BY_PLURAL, type ResourceDef } from './resources';
import type { KubeObject, WatchEventType } from './types';

/** One change in the store, as a watch sees it. */
export interface StoreEvent {
  rv: number;
  plural: string;
  type: WatchEventType;
  object: KubeObject;
  /** MODIFIED only: the object before (a label-selected watch sees it leave or enter). */
  previous?: KubeObject;
}

/** Resources whose metadata.generation counts spec changes (what controllers report on). */
const GENERATION_TRACKED = new Set([
  'deployments',
  'statefulsets',
  'daemonsets',
  'replicasets',
  'jobs',
  'cronjobs',
  'horizontalpodautoscalers',
  'crontabs',
]);

export class StoreError extends Error {
  constructor(
    readonly reason: 'NotFound' | 'AlreadyExists' | 'Conflict',
    readonly plural: string,
    readonly objectName: string,
  ) {
    super(`${reason}: ${plural} ${objectName}`);
  }
}

export interface Usage {
  cpu: string;
  memory: string;
}

class ResourceTable {
  readonly objects = new Map<string, KubeObject>();
  /** Sorted keys, rebuilt lazily after creates/deletes: paging needs a stable order. */
  private sorted: string[] | null = null;

  constructor(readonly def: ResourceDef) {}

  keyOf(namespace: string | undefined, name: string): string {
    return this.def.namespaced ? `${namespace ?? ''}/${name}` : name;
  }

  set(key: string, obj: KubeObject): void {
    if (!this.objects.has(key)) this.sorted = null;
    this.objects.set(key, obj);
  }

  remove(key: string): void {
    if (this.objects.delete(key)) this.sorted = null;
  }

  sortedKeys(): string[] {
    if (!this.sorted) this.sorted = [...this.objects.keys()].sort();
    return this.sorted;
  }
}

function lowerBound(keys: string[], target: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface KubeStoreOptions {
  /** How many recent events a watch can resume from; older resourceVersions get 410 Gone. */
  eventWindow?: number;
  now?: () => Date;
}

/**
 * The emulator's etcd: objects per resource, one global resourceVersion
 * counter, a bounded window of recent events for watches, and listeners.
 * Mutations replace objects (never edit them in place) so events keep the
 * object as it was.
 */
export class KubeStore {
  private revision = 0;
  /** Watches from a resourceVersion below this get 410 Gone. */
  private compacted = 0;
  private readonly tables = new Map<string, ResourceTable>();
  private readonly log: StoreEvent[] = [];
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly eventWindow: number;
  readonly now: () => Date;

  readonly podLogs = new Map<string, string[]>();
  private readonly logListeners = new Map<string, Set<(line: string | null) => void>>();
  readonly podUsage = new Map<string, Usage>();
  readonly nodeUsage = new Map<string, Usage>();

  constructor(options: KubeStoreOptions = {}) {
    this.eventWindow = options.eventWindow ?? 10_000;
    this.now = options.now ?? (() => new Date());
    for (const def of RESOURCE_BY_PLURAL.values())
      this.tables.set(def.plural, new ResourceTable(def));
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get compactedResourceVersion(): number {
    return this.compacted;
  }

  table(plural: string): ResourceTable {
    const table = this.tables.get(plural);
    if (!table) throw new Error(`unknown resource ${plural}`);
    return table;
  }

  get(plural: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const table = this.table(plural);
    return table.objects.get(table.keyOf(namespace, name));
  }

  /** All objects of a resource (optionally in one namespace), in key order. */
  list(plural: string, namespace?: string): KubeObject[] {
    const table = this.table(plural);
    return this.keysFrom(plural, namespace, undefined).map(
      (key) => table.objects.get(key) as KubeObject,
    );
  }

  count(plural: string): number {
    return this.table(plural).objects.size;
  }

  /** Sorted keys of a resource, restricted to a namespace and/or strictly after `afterKey`. */
  keysFrom(plural: string, namespace: string | undefined, afterKey: string | undefined): string[] {
    const table = this.table(plural);
    const keys = table.sortedKeys();
    let start = 0;
    let end = keys.length;
    if (namespace !== undefined && table.def.namespaced) {
      start = lowerBound(keys, `${namespace}/`);
      end = lowerBound(keys, `${namespace}0`); // '0' sorts right after '/'
    }
    if (afterKey !== undefined) start = Math.max(start, lowerBound(keys, `${afterKey}\0`));
    return keys.slice(start, end);
  }

  objectAt(plural: string, key: string): KubeObject | undefined {
    return this.table(plural).objects.get(key);
  }

  private stamp(table: ResourceTable, obj: KubeObject): KubeObject {
    obj.apiVersion = table.def.group
      ? `${table.def.group}/${table.def.version}`
      : table.def.version;
    obj.kind = table.def.kind;
    if (!table.def.namespaced) delete obj.metadata.namespace;
    obj.metadata.resourceVersion = String(++this.revision);
    return obj;
  }

  private emit(
    plural: string,
    type: WatchEventType,
    object: KubeObject,
    previous?: KubeObject,
  ): void {
    const event: StoreEvent = previous
      ? { rv: this.revision, plural, type, object, previous }
      : { rv: this.revision, plural, type, object };
    this.log.push(event);
    if (this.log.length > this.eventWindow) {
      const dropped = this.log.shift() as StoreEvent;
      this.compacted = dropped.rv;
    }
    for (const listener of this.listeners) listener(event);
  }

  create(plural: string, input: KubeObject): KubeObject {
    const table = this.table(plural);
    const obj = structuredClone(input);
    if (!obj.metadata.name && obj.metadata.generateName) {
      obj.metadata.name = `${obj.metadata.generateName}${randomUUID().slice(0, 5)}`;
    }
    const key = table.keyOf(obj.metadata.namespace, obj.metadata.name);
    if (table.objects.has(key)) throw new StoreError('AlreadyExists', plural, obj.metadata.name);
    obj.metadata.uid ??= randomUUID();
    if (GENERATION_TRACKED.has(plural)) obj.metadata.generation = 1;
    obj.metadata.creationTimestamp ??= this.now()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z');
    this.stamp(table, obj);
    table.set(key, obj);
    this.emit(plural, 'ADDED', obj);
    return obj;
  }

  /** Replaces an object; with a resourceVersion in `input`, it must match (optimistic concurrency). */
  update(plural: string, input: KubeObject): KubeObject {
    const table = this.table(plural);
    const key = table.keyOf(input.metadata.namespace, input.metadata.name);
    const current = table.objects.get(key);
    if (!current) throw new StoreError('NotFound', plural, input.metadata.name);
    const expected = input.metadata.resourceVersion;
    if (expected && expected !== current.metadata.resourceVersion) {
      throw new StoreError('Conflict', plural, input.metadata.name);
    }
    const obj = structuredClone(input);
    obj.metadata.uid = current.metadata.uid;
    obj.metadata.creationTimestamp = current.metadata.creationTimestamp;
    if (GENERATION_TRACKED.has(plural)) {
      const was = Number(current.metadata.generation ?? 1);
      obj.metadata.generation = isDeepStrictEqual(current.spec, obj.spec) ? was : was + 1;
    }
    this.stamp(table, obj);
    table.set(key, obj);
    this.emit(plural, 'MODIFIED', obj, current);
    return obj;
  }

  /** Creates or replaces without concurrency checks: the test-facing convenience. */
  upsert(plural: string, input: KubeObject): KubeObject {
    const { resourceVersion: _ignored, ...metadata } = input.metadata;
    const unversioned = { ...input, metadata: metadata as KubeObject['metadata'] };
    return this.get(plural, input.metadata.namespace, input.metadata.name)
      ? this.update(plural, unversioned)
      : this.create(plural, unversioned);
  }

  /** Copies the object, lets `mutate` change the copy, and stores it as a MODIFIED event. */
  patch(
    plural: string,
    namespace: string | undefined,
    name: string,
    mutate: (obj: KubeObject) => void,
  ): KubeObject {
    const current = this.get(plural, namespace, name);
    if (!current) throw new StoreError('NotFound', plural, name);
    const copy = structuredClone(current);
    mutate(copy);
    copy.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.update(plural, copy);
  }

  delete(plural: string, namespace: string | undefined, name: string): KubeObject {
    const table = this.table(plural);
    const key = table.keyOf(namespace, name);
    const current = table.objects.get(key);
    if (!current) throw new StoreError('NotFound', plural, name);
    if (plural === 'namespaces') this.deleteNamespaceContents(name);
    table.remove(key);
    const tombstone = { ...current, metadata: { ...current.metadata } };
    this.stamp(table, tombstone);
    this.emit(plural, 'DELETED', tombstone);
    if (plural === 'pods') this.endPodLog(key);
    return tombstone;
  }

  private deleteNamespaceContents(namespace: string): void {
    for (const table of this.tables.values()) {
      if (!table.def.namespaced) continue;
      for (const key of this.keysFrom(table.def.plural, namespace, undefined)) {
        const obj = table.objects.get(key) as KubeObject;
        this.delete(table.def.plural, namespace, obj.metadata.name);
      }
    }
  }

  /**
   * Bulk load without watch events (a generated cluster "already existed"):
   * every object still gets its own resourceVersion, and the event window
   * starts after them.
   */
  load(plural: string, objects: Iterable<KubeObject>): void {
    const table = this.table(plural);
    for (const obj of objects) {
      this.stamp(table, obj);
      table.set(table.keyOf(obj.metadata.namespace, obj.metadata.name), obj);
    }
    this.compacted = this.revision;
  }

  /** Forgets the event window: watches and continue tokens from before now get 410 Gone. */
  compact(): void {
    this.log.length = 0;
    this.compacted = this.revision;
  }

  /** Events after `rv` for one resource, or `'expired'` when the window no longer reaches back. */
  eventsSince(rv: number, plural: string): StoreEvent[] | 'expired' {
    if (rv < this.compacted) return 'expired';
    const start = lowerBoundEvents(this.log, rv);
    return this.log.slice(start).filter((event) => event.plural === plural);
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- pod logs -------------------------------------------------------

  podLogLines(namespace: string, name: string): string[] {
    return this.podLogs.get(`${namespace}/${name}`) ?? [`log of ${namespace}/${name} starts`];
  }

  appendPodLog(namespace: string, name: string, line: string): void {
    const key = `${namespace}/${name}`;
    const lines = this.podLogs.get(key) ?? [...this.podLogLines(namespace, name)];
    lines.push(line);
    this.podLogs.set(key, lines);
    for (const listener of this.logListeners.get(key) ?? []) listener(line);
  }

  followPodLog(
    namespace: string,
    name: string,
    listener: (line: string | null) => void,
  ): () => void {
    const key = `${namespace}/${name}`;
    let set = this.logListeners.get(key);
    if (!set) {
      set = new Set();
      this.logListeners.set(key, set);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  private endPodLog(key: string): void {
    for (const listener of this.logListeners.get(key) ?? []) listener(null);
    this.logListeners.delete(key);
  }

  // ---- metrics ---------------------------------------------------------

  setPodUsage(namespace: string, name: string, usage: Usage): void {
    this.podUsage.set(`${namespace}/${name}`, usage);
  }

  setNodeUsage(name: string, usage: Usage): void {
    this.nodeUsage.set(name, usage);
  }
}

function lowerBoundEvents(log: StoreEvent[], rv: number): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((log[mid] as StoreEvent).rv <= rv) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
