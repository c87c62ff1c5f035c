import {
  DELIVERY_LABELS,
  type DeliveryApp,
  type DeliveryAppStatus,
  type DeliveryDeleteFrame,
  type DeliveryIdentity,
  type DeliveryStateFrame,
  type DeliveryStatusFrame,
  type KubeObject,
} from '../../protocol/delivery';
import { type Backoff, createBackoff } from '../backoff';
import type { InformerEvent } from '../informers';
import { KubeError } from '../kube';
import type { Logger } from '../log';
import { type AppRecord, type DriftState, truncate } from './app-record';
import type { DeliveryApi } from './delivery-api';
import { hasDrifted } from './drift';
import { AGENT_READABLE, COMMON_KINDS } from './kinds';
import {
  applyOrder,
  appSelector,
  deliveredSelector,
  kindKey,
  labelled,
  refKey,
  refOf,
} from './objects';
import { type ResolvedResource, UnknownKindError } from './resources';
import { type LiveLookup, statusOf } from './status';

/** A label-selected cache of delivered objects of one kind, cluster-wide (the agent's Informer). */
export interface LiveSource {
  readonly items: ReadonlyMap<string, KubeObject>;
  readonly hasSynced: boolean;
  on(listener: (event: InformerEvent<KubeObject>) => void): () => void;
  stop(): Promise<void>;
}

export interface DeliveryControllerOptions {
  api: DeliveryApi;
  resolve(apiVersion: string, kind: string): Promise<ResolvedResource>;
  /**
   * Starts watching delivered objects of a kind: cluster-wide with the
   * agent's credentials, or, with `scope`, one app's objects in its
   * namespace as the app's editor (kinds the agent may not read).
   */
  watch(resource: ResolvedResource, scope?: WatchScope): LiveSource;
  /** Sends a frame to the edge; false when disconnected (sent again after the next hello). */
  send(frame: DeliveryStatusFrame | DeliveryStateFrame): boolean;
  log: Logger;
  /** Coalesces status changes into one frame (default 200 ms). */
  debounceMs?: number;
  /** First wait before putting a drifted object back again (default 1 s, doubling to 20 s). */
  driftBackoff?: () => Backoff;
  /** Retry after transient failures (default 1 s .. 30 s). */
  retryBackoff?: () => Backoff;
}

/** One app's objects of a kind the agent's own ServiceAccount may not read. */
export interface WatchScope {
  appId: string;
  namespace: string;
  identity: DeliveryIdentity;
}

/**
 * How long after creating an app's namespace a 403 on apply counts as
 * transient: the editor's RoleBindings there come from role projection,
 * which sees the new namespace a moment later.
 */
const NEW_NAMESPACE_GRACE_MS = 60_000;

/** Apps per `delivery-status` frame. */
const STATUS_BATCH = 200;

/**
 * The leader's application delivery: applies each app's manifests with
 * server-side apply as the app's last editor, prunes what left the
 * manifests, watches the delivered objects to report readiness (by the
 * workloads' own status) and to put back what drifted, deletes apps on
 * request and tells the edge what the cluster holds after every hello.
 *
 * It keeps no state of its own beyond the frames of this process's life:
 * what the cluster holds is read from the cluster by label.
 */
export class DeliveryController {
  readonly #options: DeliveryControllerOptions;
  readonly #apps = new Map<string, AppRecord>();
  /** kindKey (shared) or kindKey@appId (per app) → its watch. */
  readonly #sources = new Map<
    string,
    { source: LiveSource; kind: [string, string]; appId?: string }
  >();
  readonly #drift = new Map<string, DriftState>();
  #reportTimer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: DeliveryControllerOptions) {
    this.#options = options;
  }

  /** The apps as the edge last described them (for a new leader or a test). */
  get apps(): DeliveryApp[] {
    return [...this.#apps.values()].flatMap((r) => (r.app ? [r.app] : []));
  }

  /** `delivery-apply`: new desired state of these apps. */
  apply(apps: readonly DeliveryApp[]): void {
    for (const app of apps) {
      const current = this.#apps.get(app.appId);
      if (current?.app && current.app.generation > app.generation) continue; // stale frame
      // The same generation again (resent after a hello): nothing to redo unless it failed.
      if (
        current?.app?.generation === app.generation &&
        current.phase !== 'failed' &&
        current.phase !== 'deleting' &&
        current.phase !== 'deleted' &&
        JSON.stringify(current.app) === JSON.stringify(app)
      )
        continue;
      const record = current ?? this.#newRecord(app.appId, app.namespace, app.identity);
      // Per-app watches run as the editor: another editor or namespace means new watches.
      if (
        current &&
        (current.namespace !== app.namespace ||
          JSON.stringify(current.identity) !== JSON.stringify(app.identity))
      )
        this.#stopAppWatches(app.appId);
      record.app = app;
      record.phase = 'pending';
      record.namespace = app.namespace;
      record.identity = app.identity;
      record.wasReady = false;
      record.appliedAt = undefined;
      record.message = undefined;
      record.backoff.reset();
      if (record.retry) clearTimeout(record.retry);
      this.#apps.set(app.appId, record);
      this.#run(record);
    }
  }

  /** `delivery-delete`: remove these apps' objects. */
  delete(frame: DeliveryDeleteFrame): void {
    for (const item of frame.apps) {
      const record =
        this.#apps.get(item.appId) ?? this.#newRecord(item.appId, item.namespace, item.identity);
      record.app = undefined;
      record.desired = new Map();
      record.namespace = item.namespace;
      record.identity = item.identity;
      record.phase = 'deleting';
      record.message = undefined;
      record.backoff.reset();
      if (record.retry) clearTimeout(record.retry);
      if (record.deadline) clearTimeout(record.deadline);
      this.#apps.set(item.appId, record);
      this.#run(record);
    }
  }

  /** After every hello: what the cluster holds, then every app's status again. */
  async connected(): Promise<void> {
    for (const record of this.#apps.values()) record.lastSent = undefined;
    try {
      await this.sendState();
    } catch (error) {
      this.#options.log.warn('cannot read the delivered apps for delivery-state', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.#scheduleReport(0);
  }

  /**
   * `delivery-state`: every app the cluster holds objects of. An app whose
   * desired state this agent does not have (it restarted) reports
   * generation 0, so the edge sends it again and drift and status resume.
   */
  async sendState(): Promise<boolean> {
    const held = new Map<string, number>();
    for (const [apiVersion, kind] of this.#scanKinds().filter(([v, k]) =>
      AGENT_READABLE.has(kindKey(v, k)),
    )) {
      const items = await this.#options.api
        .list(apiVersion, kind, deliveredSelector)
        .catch((error: unknown) => {
          this.#options.log.debug('cannot list delivered objects', {
            kind,
            error: error instanceof Error ? error.message : String(error),
          });
          return undefined;
        });
      for (const item of items ?? []) {
        const labels = (item.metadata as { labels?: Record<string, string> }).labels ?? {};
        const appId = labels[DELIVERY_LABELS.appId];
        if (!appId) continue;
        const generation = Number(labels[DELIVERY_LABELS.generation]) || 0;
        held.set(appId, Math.min(held.get(appId) ?? generation, generation));
      }
    }
    const apps: DeliveryStateFrame['apps'] = [];
    for (const [appId, generation] of held) {
      const record = this.#apps.get(appId);
      if (record?.phase === 'deleted') continue;
      // Known here: what the cluster carries (all of it, once applied); unknown: 0, send it again.
      const known = record?.app && record.phase === 'applied' ? record.app.generation : generation;
      apps.push({ appId, generation: record?.app ? known : 0 });
    }
    for (const record of this.#apps.values())
      if (record.app && record.phase === 'applied' && !held.has(record.appId))
        apps.push({ appId: record.appId, generation: record.app.generation });
    return this.#options.send({ type: 'delivery-state', apps: apps.slice(0, 10_000) });
  }

  /** The status of one app now (tests, and the report). */
  status(appId: string): DeliveryAppStatus | undefined {
    const record = this.#apps.get(appId);
    return record && this.#statusOf(record);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#reportTimer) clearTimeout(this.#reportTimer);
    for (const record of this.#apps.values()) {
      if (record.retry) clearTimeout(record.retry);
      if (record.deadline) clearTimeout(record.deadline);
    }
    for (const drift of this.#drift.values()) if (drift.timer) clearTimeout(drift.timer);
    await Promise.all([...this.#sources.values()].map(({ source }) => source.stop()));
    this.#sources.clear();
  }

  #newRecord(appId: string, namespace: string, identity: DeliveryIdentity): AppRecord {
    return {
      appId,
      namespace,
      identity,
      app: undefined,
      desired: new Map(),
      phase: 'pending',
      wasReady: false,
      backoff: (
        this.#options.retryBackoff ?? (() => createBackoff({ initialMs: 1000, maxMs: 30_000 }))
      )(),
      again: false,
      kinds: new Map(),
    };
  }

  /** Runs the record's pending work, one pass at a time per app. */
  #run(record: AppRecord): void {
    if (this.#stopped) return;
    if (record.running) {
      record.again = true;
      return;
    }
    record.again = false;
    const pass = record.phase === 'deleting' ? this.#deletePass(record) : this.#applyPass(record);
    record.running = pass
      .catch((error: unknown) => {
        // Transient (API server unreachable, 5xx): try again with backoff, never hot.
        const wait = record.backoff.next();
        record.message = truncate(error instanceof Error ? error.message : String(error), 2048);
        this.#options.log.warn('delivery pass failed, retrying', {
          appId: record.appId,
          error: record.message,
          retryMs: wait,
        });
        record.retry = setTimeout(() => this.#run(record), wait);
        record.retry.unref?.();
      })
      .finally(() => {
        record.running = undefined;
        this.#scheduleReport();
        if (record.again) this.#run(record);
      });
  }

  #fail(record: AppRecord, message: string): void {
    record.phase = 'failed';
    record.message = truncate(message, 2048);
    this.#options.log.info('delivery failed', { appId: record.appId, message: record.message });
  }

  async #applyPass(record: AppRecord): Promise<void> {
    const app = record.app;
    if (!app) return;
    const { api } = this.#options;
    record.phase = 'applying';
    this.#scheduleReport();
    // The namespace first: created for the app's workspace where missing, refused if another's.
    const ns = await api.ensureNamespace(app.namespace, app.workspace, app.identity);
    if (!ns.ok && ns.refused) return this.#fail(record, ns.message);
    if (!ns.ok) throw new Error(ns.message);
    if (ns.created) record.namespaceCreatedAt = Date.now();

    const desired = new Map<string, KubeObject>();
    for (const manifest of app.manifests) {
      const obj = labelled(manifest, app);
      desired.set(refKey(refOf(obj, app.namespace)), obj);
    }
    // Watch every kind first, so the objects' status is seen from their first version on.
    for (const obj of desired.values()) {
      try {
        const resource = await this.#options.resolve(obj.apiVersion, obj.kind);
        if (!resource.namespaced)
          return this.#fail(
            record,
            `${obj.kind} is cluster-scoped; apps hold namespaced objects only`,
          );
        this.#ensureWatch(resource, record);
        record.kinds.set(kindKey(obj.apiVersion, obj.kind), [obj.apiVersion, obj.kind]);
      } catch (error) {
        if (error instanceof UnknownKindError) return this.#fail(record, error.message);
        throw error;
      }
    }
    record.desired = desired;
    for (const obj of applyOrder([...desired.values()])) {
      // Superseded (the next pass applies the newer generation) or no longer leading.
      if (record.app !== app || this.#stopped) return;
      const result = await api.apply(obj, app.identity);
      // In a namespace just created, the editor's RoleBindings (role projection) may not be there yet.
      if (!result.ok && result.status === 403 && this.#namespaceIsNew(record))
        throw new Error(`${result.message} (waiting for role projection in a new namespace)`);
      if (!result.ok && result.refused) return this.#fail(record, result.message);
      if (!result.ok) throw new Error(result.message);
    }
    await this.#prune(record, app);
    if (record.app !== app) return;
    record.phase = 'applied';
    record.message = undefined;
    record.appliedAt = Date.now();
    record.backoff.reset();
    if (record.deadline) clearTimeout(record.deadline);
    record.deadline = setTimeout(
      () => this.#scheduleReport(0),
      app.progressDeadlineSeconds * 1000 + 10,
    );
    record.deadline.unref?.();
    this.#options.log.info('app applied', {
      appId: app.appId,
      generation: app.generation,
      objects: desired.size,
    });
  }

  /** The agent created the app's namespace moments ago: a 403 there is retried for a while. */
  #namespaceIsNew(record: AppRecord): boolean {
    return (
      record.namespaceCreatedAt !== undefined &&
      Date.now() - record.namespaceCreatedAt < NEW_NAMESPACE_GRACE_MS
    );
  }

  /** Deletes the app's objects that are no longer in its manifests. */
  async #prune(record: AppRecord, app: DeliveryApp): Promise<void> {
    // Generation 1 is the app's first: nothing older of it can exist.
    if (app.generation <= 1) return;
    for (const [apiVersion, kind] of this.#scanKinds(record)) {
      const items =
        this.#cachedOfApp(record, apiVersion, kind) ??
        (await this.#listOfApp(record, apiVersion, kind));
      for (const item of items ?? []) {
        const ref = refOf(item, app.namespace);
        if (record.desired.has(refKey(ref))) continue;
        const result = await this.#options.api.remove(ref, app.identity);
        if (!result.ok && !result.refused) throw new Error(result.message);
        if (!result.ok)
          this.#options.log.warn('cannot prune', {
            appId: app.appId,
            kind,
            name: ref.name,
            error: result.message,
          });
        else this.#options.log.info('pruned', { appId: app.appId, kind, name: ref.name });
      }
    }
  }

  async #deletePass(record: AppRecord): Promise<void> {
    // Delete what is there, then look once more at once (most objects go immediately).
    let round = await this.#deleteRound(record);
    if (round.remaining > 0 && round.issued > 0 && !round.refusal)
      round = await this.#deleteRound(record);
    const { remaining, refusal } = round;
    if (remaining === 0) {
      record.phase = 'deleted';
      record.message = undefined;
      this.#options.log.info('app deleted', { appId: record.appId });
      return;
    }
    // Finalizers or a refusal: look again until nothing is left.
    record.message = refusal ? truncate(refusal, 2048) : `${remaining} objects still being deleted`;
    const wait = refusal ? 30_000 : 500;
    record.retry = setTimeout(() => this.#run(record), wait);
    record.retry.unref?.();
  }

  /** Deletes every object of the app not already going; counts what is still there. */
  async #deleteRound(
    record: AppRecord,
  ): Promise<{ remaining: number; issued: number; refusal?: string }> {
    const { api } = this.#options;
    let remaining = 0;
    let issued = 0;
    let refusal: string | undefined;
    for (const [apiVersion, kind] of this.#scanKinds(record)) {
      const items = await this.#listOfApp(record, apiVersion, kind);
      for (const item of items ?? []) {
        remaining++;
        if ((item.metadata as { deletionTimestamp?: string }).deletionTimestamp) continue;
        const result = await api.remove(refOf(item, record.namespace), record.identity);
        if (!result.ok && !result.refused) throw new Error(result.message);
        if (!result.ok) refusal = result.message;
        else issued++;
      }
    }
    return { remaining, issued, ...(refusal ? { refusal } : {}) };
  }

  /** The app's objects of a kind from a synced shared watch, if there is one (no request). */
  #cachedOfApp(record: AppRecord, apiVersion: string, kind: string): KubeObject[] | undefined {
    const entry = this.#sources.get(kindKey(apiVersion, kind));
    if (!entry?.source.hasSynced) return undefined;
    return [...entry.source.items.values()].filter(
      (item) =>
        (item.metadata as { namespace?: string }).namespace === record.namespace &&
        (item.metadata as { labels?: Record<string, string> }).labels?.[DELIVERY_LABELS.appId] ===
          record.appId,
    );
  }

  /**
   * The app's objects of a kind, read with the agent's credentials where it
   * may, else as the app's editor; a kind neither may list is skipped.
   */
  async #listOfApp(record: AppRecord, apiVersion: string, kind: string): Promise<KubeObject[]> {
    const readable = AGENT_READABLE.has(kindKey(apiVersion, kind));
    try {
      return (
        (await this.#options.api.list(
          apiVersion,
          kind,
          appSelector(record.appId),
          record.namespace,
          readable ? undefined : record.identity,
        )) ?? []
      );
    } catch (error) {
      if (error instanceof KubeError && [401, 403, 404, 405].includes(error.status)) {
        this.#options.log.debug('cannot list for the app', {
          appId: record.appId,
          kind,
          error: error.message,
        });
        return [];
      }
      throw error;
    }
  }

  /** Kinds to look at: the common ones, every watched kind and the app's own. */
  #scanKinds(record?: AppRecord): [string, string][] {
    const all = new Map<string, [string, string]>();
    for (const [apiVersion, kind] of COMMON_KINDS)
      all.set(kindKey(apiVersion, kind), [apiVersion, kind]);
    for (const { kind } of this.#sources.values()) all.set(kindKey(kind[0], kind[1]), kind);
    for (const [key, kind] of record?.kinds ?? []) all.set(key, kind);
    return [...all.values()];
  }

  #ensureWatch(resource: ResolvedResource, record: AppRecord): void {
    const kind = kindKey(resource.apiVersion, resource.kind);
    const shared = AGENT_READABLE.has(kind);
    const key = shared ? kind : `${kind}@${record.appId}`;
    if (this.#sources.has(key)) return;
    const source = shared
      ? this.#options.watch(resource)
      : this.#options.watch(resource, {
          appId: record.appId,
          namespace: record.namespace,
          identity: record.identity,
        });
    source.on((event) => this.#onLive(event));
    this.#sources.set(key, {
      source,
      kind: [resource.apiVersion, resource.kind],
      ...(shared ? {} : { appId: record.appId }),
    });
  }

  /** Stops the app's own watches (it was deleted). */
  #stopAppWatches(appId: string): void {
    for (const [key, entry] of this.#sources)
      if (entry.appId === appId) {
        this.#sources.delete(key);
        void entry.source.stop();
      }
  }

  #liveOf(obj: KubeObject, appId: string): LiveLookup {
    const kind = kindKey(obj.apiVersion, obj.kind);
    const entry = this.#sources.get(kind) ?? this.#sources.get(`${kind}@${appId}`);
    if (!entry) return { synced: false, live: undefined };
    const namespace = (obj.metadata as { namespace?: string }).namespace;
    return {
      synced: entry.source.hasSynced,
      live: entry.source.items.get(`${namespace}/${obj.metadata.name}`),
    };
  }

  /** A delivered object changed or went away: report, and put it back if it drifted. */
  #onLive(event: InformerEvent<KubeObject>): void {
    const item = event.type === 'delete' ? event.previous : event.item;
    const labels = (item.metadata as { labels?: Record<string, string> }).labels ?? {};
    const record = this.#apps.get(labels[DELIVERY_LABELS.appId] ?? '');
    if (!record) return;
    this.#scheduleReport();
    if (record.phase !== 'applied' || !record.app) return;
    const namespace = (item.metadata as { namespace?: string }).namespace ?? '';
    const key = refKey({
      apiVersion: item.apiVersion,
      kind: item.kind,
      namespace,
      name: item.metadata.name,
    });
    const desired = record.desired.get(key);
    if (!desired) return;
    if (event.type === 'upsert' && !hasDrifted(desired, event.item)) {
      const drift = this.#drift.get(key);
      if (drift && !drift.timer) this.#drift.delete(key);
      return;
    }
    this.#putBack(record, key);
  }

  /** Re-applies one drifted object (same patch), with a growing pause if it keeps drifting. */
  #putBack(record: AppRecord, key: string): void {
    let drift = this.#drift.get(key);
    if (!drift) {
      drift = {
        corrections: 0,
        backoff: (
          this.#options.driftBackoff ?? (() => createBackoff({ initialMs: 1000, maxMs: 20_000 }))
        )(),
      };
      this.#drift.set(key, drift);
    }
    if (drift.timer) return;
    const state = drift;
    // The first correction is immediate; one that keeps coming back waits longer each time.
    const wait = state.corrections++ === 0 ? 0 : state.backoff.next();
    state.timer = setTimeout(() => {
      void (async () => {
        const app = record.app;
        const obj = record.desired.get(key);
        if (this.#stopped || !app || !obj || record.phase !== 'applied' || record.running) {
          state.timer = undefined;
          return;
        }
        const { live } = this.#liveOf(obj, record.appId);
        if (live && !hasDrifted(obj, live)) {
          state.timer = undefined;
          return;
        }
        const result = await this.#options.api.apply(obj, app.identity).catch((error: unknown) => ({
          ok: false as const,
          refused: false as const,
          status: 0,
          message: error instanceof Error ? error.message : String(error),
        }));
        state.timer = undefined;
        this.#options.log.info('drift corrected', {
          appId: app.appId,
          object: key,
          ok: result.ok,
          ...(result.ok ? {} : { error: result.message }),
        });
        if (!result.ok) this.#putBack(record, key);
      })();
    }, wait);
    state.timer.unref?.();
  }

  #scheduleReport(delayMs = this.#options.debounceMs ?? 200): void {
    if (this.#stopped) return;
    if (this.#reportTimer) {
      if (delayMs > 0) return;
      clearTimeout(this.#reportTimer);
    }
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      this.#report();
    }, delayMs);
    this.#reportTimer.unref?.();
  }

  #report(): void {
    const changed: { record: AppRecord; status: DeliveryAppStatus; text: string }[] = [];
    for (const record of this.#apps.values()) {
      const status = this.#statusOf(record);
      const text = JSON.stringify(status);
      if (text !== record.lastSent) changed.push({ record, status, text });
    }
    // At most STATUS_BATCH apps a frame: a fleet-wide change never makes one huge frame.
    for (let i = 0; i < changed.length; i += STATUS_BATCH) {
      const batch = changed.slice(i, i + STATUS_BATCH);
      const sent = this.#options.send({
        type: 'delivery-status',
        apps: batch.map((c) => c.status),
      });
      if (!sent) return; // resent in full after the next hello
      for (const { record, text } of batch) {
        record.lastSent = text;
        if (record.phase === 'deleted') this.#forget(record);
      }
    }
  }

  #forget(record: AppRecord): void {
    this.#apps.delete(record.appId);
    this.#stopAppWatches(record.appId);
    if (record.deadline) clearTimeout(record.deadline);
  }

  #statusOf(record: AppRecord): DeliveryAppStatus {
    return statusOf(record, (obj) => this.#liveOf(obj, record.appId));
  }
}
