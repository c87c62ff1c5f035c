import { createDb } from '../../db/client';
import { settings } from '../settings';
import type { AlertingEnv } from './alert-groups';
import { UNTIL_RESOLVED_MS } from './edge-alert-sender';
import { routeAndStore } from './intake';
import { clusterShard } from './shards';

/** Storage key (in the cluster's ClusterTunnel) of the firing disconnect alert's start time. */
const FIRING_KEY = 'alerting:cluster-disconnected';

/** Seconds without a live agent before `ClusterDisconnected` fires (CLUSTER_DISCONNECT_ALERT_SECONDS, default 60). */
export function disconnectThresholdMs(
  env: Pick<AlertingEnv, 'CLUSTER_DISCONNECT_ALERT_SECONDS'>,
): number {
  return settings(env).clusterDisconnectAlertSeconds * 1000;
}

const alertOf = (cluster: string, since: number, endsAt: number) => ({
  labels: { alertname: 'ClusterDisconnected', cluster, severity: 'critical' },
  annotations: {
    summary: `Cluster ${cluster} has no connected agent.`,
    description: `No agent of cluster ${cluster} was heard from since ${new Date(since).toISOString()}.`,
  },
  startsAt: since,
  endsAt,
  generatorURL: '',
});

/**
 * The built-in edge rule "cluster disconnected": state only the edge sees.
 * The cluster's ClusterTunnel calls it from its alarm (no live agent) and
 * when an agent says HELLO; it fires and resolves like any posted alert.
 */
export class ClusterDisconnectRule {
  readonly #env: AlertingEnv;
  readonly #storage: DurableObjectStorage;
  /** The cluster's shard by its id (the tunnel's name); unknown, found by the cluster label. */
  readonly #shard: { shard?: string };

  constructor(env: AlertingEnv, storage: DurableObjectStorage, clusterId: string | undefined) {
    this.#env = env;
    this.#storage = storage;
    this.#shard = clusterId ? { shard: clusterShard(clusterId) } : {};
  }

  /**
   * No agent is live: fires once `lastSeen` is older than the threshold.
   * Returns when to look again (undefined once fired or when never connected).
   */
  async check(cluster: string, lastSeen: number, now = Date.now()): Promise<number | undefined> {
    if (!cluster || !lastSeen || (await this.#storage.get<number>(FIRING_KEY)) !== undefined)
      return undefined;
    const due = lastSeen + disconnectThresholdMs(this.#env);
    if (now < due) return due;
    await routeAndStore(
      this.#env,
      createDb(this.#env.DB),
      [alertOf(cluster, lastSeen, now + UNTIL_RESOLVED_MS)],
      now,
      this.#shard,
    );
    await this.#storage.put(FIRING_KEY, lastSeen);
    return undefined;
  }

  /** An agent is back (or the cluster is gone): resolves the alert if it fired. */
  async resolve(cluster: string, now = Date.now()): Promise<void> {
    const since = await this.#storage.get<number>(FIRING_KEY);
    if (since === undefined) return;
    await routeAndStore(
      this.#env,
      createDb(this.#env.DB),
      [alertOf(cluster, since, now)],
      now,
      this.#shard,
    );
    await this.#storage.delete(FIRING_KEY);
  }
}
