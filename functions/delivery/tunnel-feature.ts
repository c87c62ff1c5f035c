import { createDb } from '../../db/client';
import {
  collectDeleted,
  type DeliveryRow,
  deliveryRowsOfCluster,
  dropDeliveryLink,
  recordHeld,
  recordReport,
  setDeliveryLink,
  tombstoneEntry,
} from '../../db/queries/apps';
import { clusterByName } from '../../db/queries/clusters';
import type {
  DeliveryApp,
  DeliveryApplyFrame,
  DeliveryDeleteFrame,
  DeliveryStateFrame,
  DeliveryStatusFrame,
} from '../../protocol/delivery';
import type { BaseEnv } from '../bindings';
import {
  advanceApps,
  type PushDelivery,
  type PushTarget,
  pushRemote,
  type RemotePushes,
} from './controller';
import { renderForCluster } from './render';
import type { AppSpec } from './schemas';
import { unsealManifests } from './secrets';

/** This feature's keys in the tunnel object's storage. */
const LEADER_KEY = 'delivery:leader';
/** Apply frames are cut below this many bytes of JSON (the tunnel allows 16 MiB). */
const FRAME_BUDGET_BYTES = 4 * 1024 * 1024;

export type DeliveryFrame = DeliveryApplyFrame | DeliveryDeleteFrame;
/** Sends a frame to one connection; false when it is not open. */
export type SendTo = (connectionId: string, frame: DeliveryFrame) => boolean;

/**
 * Application delivery as a feature of a cluster's ClusterTunnel. The
 * leading agent is the connection that sends `delivery-state` (after each
 * hello): it becomes the cluster's delivery link and gets, in answer, the
 * apps whose admitted generation it does not hold and the deletes it owes;
 * after that, edits reach it through `push` (within the request that made
 * them). Its `delivery-status` reports become the apps' per-cluster status
 * and move staged rollouts on. When its socket goes, the link goes, and the
 * cluster's entries read `unreachable` at once.
 */
export class DeliveryFeature {
  readonly #env: BaseEnv;
  readonly #storage: DurableObjectStorage;
  #queue: Promise<unknown> = Promise.resolve();

  readonly #push: PushDelivery;

  /** `push` asks another cluster's tunnel to send apps (its pushDelivery). */
  constructor(env: BaseEnv, storage: DurableObjectStorage, push: PushDelivery) {
    this.#env = env;
    this.#push = push;
    this.#storage = storage;
  }

  /** One thing at a time: a catch-up must not interleave with an edit's push. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #cluster(clusterName: string) {
    return clusterName ? clusterByName(createDb(this.#env.DB), clusterName) : undefined;
  }

  /** The leader's inventory of what it holds: it becomes the link and gets what it lacks. */
  async onState(
    clusterName: string,
    connectionId: string,
    frame: DeliveryStateFrame,
    send: SendTo,
  ): Promise<void> {
    const remote = await this.#serial(async (): Promise<RemotePushes | undefined> => {
      const cluster = await this.#cluster(clusterName);
      if (!cluster) return undefined;
      const db = createDb(this.#env.DB);
      const now = new Date();
      await this.#storage.put(LEADER_KEY, connectionId);
      await setDeliveryLink(db, cluster.id, connectionId, now);
      const held = new Map(frame.apps.map((a) => [a.appId, a.generation]));
      await recordHeld(db, cluster.id, connectionId, held, now);
      // Clusters deferred while away may be admitted now that this one is back.
      // (This cluster's own admissions are sent just below, not through a call to itself.)
      const before = await deliveryRowsOfCluster(db, cluster.id);
      const remote = await advanceApps(db, [...new Set(before.map((r) => r.app.id))], now, {
        clusterId: cluster.id,
        push: async () => undefined,
      });
      const rows = await deliveryRowsOfCluster(db, cluster.id);
      await this.#sendOwed(cluster, rows, connectionId, send, held);
      return remote;
    });
    if (remote) await pushRemote(this.#push, remote);
  }

  /**
   * An edit: sends these apps' owed applies/deletes to the leader, if one is
   * linked, while passing the push on to `relay` (this tunnel's share of the
   * fan-out tree; not waited on by its own send).
   */
  async push(
    clusterName: string,
    appIds: string[],
    send: SendTo,
    relay: PushTarget[] = [],
  ): Promise<number> {
    const [own] = await Promise.allSettled([
      this.#pushOwn(clusterName, appIds, send),
      pushRemote(this.#push, new Map(relay)),
    ]);
    if (own.status === 'rejected') throw own.reason;
    return own.value;
  }

  #pushOwn(clusterName: string, appIds: string[], send: SendTo): Promise<number> {
    return this.#serial(async () => {
      const leader = await this.#storage.get<string>(LEADER_KEY);
      const cluster = await this.#cluster(clusterName);
      if (!leader || !cluster || appIds.length === 0) return 0;
      const rows = await deliveryRowsOfCluster(createDb(this.#env.DB), cluster.id, appIds);
      return this.#sendOwed(cluster, rows, leader, send);
    });
  }

  /** The leader's report on apps' states here; rollouts move on. */
  async onStatus(
    clusterName: string,
    connectionId: string,
    frame: DeliveryStatusFrame,
    send: SendTo,
  ): Promise<void> {
    const remote = await this.#serial(async (): Promise<RemotePushes | undefined> => {
      const cluster = await this.#cluster(clusterName);
      if (!cluster) return undefined;
      const db = createDb(this.#env.DB);
      const now = new Date();
      for (const report of frame.apps)
        await recordReport(db, cluster.id, connectionId, report, now);
      return advanceApps(
        db,
        [...new Set(frame.apps.map((a) => a.appId))],
        now,
        {
          clusterId: cluster.id,
          push: async (ids) => {
            const rows = await deliveryRowsOfCluster(db, cluster.id, ids);
            await this.#sendOwed(cluster, rows, connectionId, send);
          },
        },
        { stagedOnly: true },
      );
    });
    if (remote) await pushRemote(this.#push, remote);
  }

  /** A socket closed: if it was the link, the cluster's entries are unreachable from now on. */
  async onSocketGone(clusterName: string, connectionId: string): Promise<void> {
    const remote = await this.#serial(async (): Promise<RemotePushes | undefined> => {
      if ((await this.#storage.get<string>(LEADER_KEY)) !== connectionId) return undefined;
      await this.#storage.delete(LEADER_KEY);
      const cluster = await this.#cluster(clusterName);
      if (!cluster) return undefined;
      const db = createDb(this.#env.DB);
      await dropDeliveryLink(db, cluster.id, connectionId);
      // An unreachable cluster no longer counts against a rollout: the next may go.
      const rows = await deliveryRowsOfCluster(db, cluster.id);
      return advanceApps(db, [...new Set(rows.map((r) => r.app.id))], new Date(), {
        clusterId: cluster.id,
        push: async () => undefined, // unreachable now: it catches up on its next delivery-state
      });
    });
    if (remote) await pushRemote(this.#push, remote);
  }

  /** The connection delivery currently talks to, if any. */
  leader(): Promise<string | undefined> {
    return this.#storage.get<string>(LEADER_KEY);
  }

  /**
   * Sends what the cluster lacks among `rows`: the admitted current
   * generation of placed apps (unless `held` says the cluster has it) and
   * deletes for tombstones (a tombstone for an app the cluster says it does
   * not hold is settled on the spot). Returns how many frames went out.
   */
  async #sendOwed(
    cluster: { id: string; name: string; labels: Record<string, string> },
    rows: DeliveryRow[],
    connectionId: string,
    send: SendTo,
    held?: Map<string, number>,
  ): Promise<number> {
    const db = createDb(this.#env.DB);
    const applies: DeliveryApp[] = [];
    const deletes: DeliveryDeleteFrame['apps'] = [];
    const settled: string[] = [];
    for (const { row, app, workspace, granted } of rows) {
      const identity = { user: app.editorUser, groups: app.editorGroups };
      // A cluster no longer granted to the workspace gets nothing new of it, only the
      // deletion of what it holds (the grant's revocation is the workspace leaving it).
      if (row.removing || granted === null) {
        if (!row.removing)
          await tombstoneEntry(
            db,
            app.id,
            cluster.id,
            new Date(Date.now() + app.deleteTimeoutSeconds * 1000),
          );
        if (held && !held.has(app.id)) settled.push(app.id);
        else deletes.push({ appId: app.id, namespace: app.namespace, identity });
        continue;
      }
      // Only the admitted current generation is sent; a cluster a rollout has not
      // reached yet keeps what it has (the edge keeps one generation of manifests).
      if (row.targetGeneration !== app.generation) continue;
      if (held ? held.get(app.id) === app.generation : row.ackedGeneration === app.generation)
        continue;
      const spec = app.spec as AppSpec;
      let manifests: DeliveryApp['manifests'];
      try {
        manifests = renderForCluster(
          await unsealManifests(this.#env.SECRETS_KEY, app.manifests as unknown[]),
          spec,
          cluster,
        );
      } catch (error) {
        // Checked at every edit; this happens only when the cluster's labels changed
        // since (an override selects it now) or SECRETS_KEY did. Shown, never sent half-made.
        await recordReport(
          db,
          cluster.id,
          connectionId,
          {
            appId: app.id,
            generation: app.generation,
            state: 'failed',
            message:
              `edgetower could not render the app for this cluster: ${error instanceof Error ? error.message : String(error)}`.slice(
                0,
                2048,
              ),
            resources: [],
          },
          new Date(),
        );
        continue;
      }
      applies.push({
        appId: app.id,
        name: app.name,
        workspace,
        namespace: app.namespace,
        generation: app.generation,
        manifests,
        identity,
        progressDeadlineSeconds: spec.rollout?.progressDeadlineSeconds ?? 600,
      });
    }
    if (settled.length > 0) {
      for (const appId of settled)
        await recordReport(
          db,
          cluster.id,
          connectionId,
          {
            appId,
            generation: 0,
            state: 'deleted',
            resources: [],
          },
          new Date(),
        );
      await collectDeleted(db, new Date(), settled);
    }
    let frames = 0;
    for (const chunk of chunks(applies))
      if (send(connectionId, { type: 'delivery-apply', apps: chunk })) frames++;
    if (deletes.length > 0 && send(connectionId, { type: 'delivery-delete', apps: deletes }))
      frames++;
    return frames;
  }
}

/** Apps in frames of at most FRAME_BUDGET_BYTES (an app larger than that goes alone). */
function chunks(apps: DeliveryApp[]): DeliveryApp[][] {
  const out: DeliveryApp[][] = [];
  let current: DeliveryApp[] = [];
  let bytes = 0;
  for (const app of apps) {
    const size = JSON.stringify(app).length;
    if (current.length > 0 && bytes + size > FRAME_BUDGET_BYTES) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(app);
    bytes += size;
  }
  if (current.length > 0) out.push(current);
  return out;
}
