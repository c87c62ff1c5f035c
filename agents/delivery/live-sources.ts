import { DELIVERY_LABELS, type DeliveryIdentity, type KubeObject } from '../../protocol/delivery';
import type { InformerEvent } from '../informers';
import type { AppRecord } from './app-record';
import { AGENT_READABLE, COMMON_KINDS } from './kinds';
import { kindKey } from './objects';
import type { ResolvedResource } from './resources';
import type { LiveLookup } from './status';

/** A label-selected cache of delivered objects of one kind, cluster-wide (the agent's Informer). */
export interface LiveSource {
  readonly items: ReadonlyMap<string, KubeObject>;
  readonly hasSynced: boolean;
  on(listener: (event: InformerEvent<KubeObject>) => void): () => void;
  stop(): Promise<void>;
}

/** One app's objects of a kind the agent's own ServiceAccount may not read. */
export interface WatchScope {
  appId: string;
  namespace: string;
  identity: DeliveryIdentity;
}

/** Starts watching delivered objects of a kind (cluster-wide, or one app's as its editor). */
export type StartWatch = (resource: ResolvedResource, scope?: WatchScope) => LiveSource;

/**
 * The watches of delivered objects: one shared per kind the agent may read,
 * one per app (as its editor) for the others. Answers what is live without
 * a request, and which kinds to look at when scanning for an app's objects.
 */
export class LiveSources {
  /** kindKey (shared) or kindKey@appId (per app) → its watch. */
  readonly #sources = new Map<
    string,
    { source: LiveSource; kind: [string, string]; appId?: string }
  >();
  readonly #watch: StartWatch;
  readonly #onLive: (event: InformerEvent<KubeObject>) => void;

  constructor(watch: StartWatch, onLive: (event: InformerEvent<KubeObject>) => void) {
    this.#watch = watch;
    this.#onLive = onLive;
  }

  /** Watches the resource's kind for this app, if nothing watches it yet. */
  ensure(resource: ResolvedResource, record: AppRecord): void {
    const kind = kindKey(resource.apiVersion, resource.kind);
    const shared = AGENT_READABLE.has(kind);
    const key = shared ? kind : `${kind}@${record.appId}`;
    if (this.#sources.has(key)) return;
    const source = shared
      ? this.#watch(resource)
      : this.#watch(resource, {
          appId: record.appId,
          namespace: record.namespace,
          identity: record.identity,
        });
    source.on(this.#onLive);
    this.#sources.set(key, {
      source,
      kind: [resource.apiVersion, resource.kind],
      ...(shared ? {} : { appId: record.appId }),
    });
  }

  /** Stops the app's own watches (it was deleted, or its editor or namespace changed). */
  stopApp(appId: string): void {
    for (const [key, entry] of this.#sources)
      if (entry.appId === appId) {
        this.#sources.delete(key);
        void entry.source.stop();
      }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#sources.values()].map(({ source }) => source.stop()));
    this.#sources.clear();
  }

  /** The live version of a desired object, and whether its watch has synced. */
  liveOf(obj: KubeObject, appId: string): LiveLookup {
    const kind = kindKey(obj.apiVersion, obj.kind);
    const entry = this.#sources.get(kind) ?? this.#sources.get(`${kind}@${appId}`);
    if (!entry) return { synced: false, live: undefined };
    const namespace = (obj.metadata as { namespace?: string }).namespace;
    return {
      synced: entry.source.hasSynced,
      live: entry.source.items.get(`${namespace}/${obj.metadata.name}`),
    };
  }

  /** The app's objects of a kind from a synced shared watch, if there is one (no request). */
  cachedOfApp(record: AppRecord, apiVersion: string, kind: string): KubeObject[] | undefined {
    const entry = this.#sources.get(kindKey(apiVersion, kind));
    if (!entry?.source.hasSynced) return undefined;
    return [...entry.source.items.values()].filter(
      (item) =>
        (item.metadata as { namespace?: string }).namespace === record.namespace &&
        (item.metadata as { labels?: Record<string, string> }).labels?.[DELIVERY_LABELS.appId] ===
          record.appId,
    );
  }

  /** Kinds to look at: the common ones, every watched kind and the app's own. */
  scanKinds(record?: AppRecord): [string, string][] {
    const all = new Map<string, [string, string]>();
    for (const [apiVersion, kind] of COMMON_KINDS)
      all.set(kindKey(apiVersion, kind), [apiVersion, kind]);
    for (const { kind } of this.#sources.values()) all.set(kindKey(kind[0], kind[1]), kind);
    for (const [key, kind] of record?.kinds ?? []) all.set(key, kind);
    return [...all.values()];
  }
}
