import type { AlertingEnv } from './alert-groups';
import type { Tenancy } from './alert-scope';

/**
 * Alerts whose cluster label names no registered cluster (or that have none)
 * share one shard. Only platform-wide readers see them, whatever their label
 * says: a cluster registered later under that name never inherits them.
 */
export const GLOBAL_SHARD = '_global';

/**
 * Alerts are sharded by cluster: one AlertGroups object per cluster keeps
 * each shard small and independent; groups never span clusters. A shard is
 * named by the cluster's immutable id, so a cluster deleted and registered
 * again under the same name starts with an empty shard (issue #12, attack 7).
 */
export const clusterShard = (clusterId: string) => `cluster-id:${clusterId}`;

/** The shard a cluster's alerts went to before shards were keyed by id; wiped with the cluster. */
export const legacyClusterShard = (clusterName: string) => `cluster:${clusterName}`;

export const shardStub = (env: AlertingEnv, shard: string) => env.ALERT_GROUPS.getByName(shard);

/** The shards a listing visits: the global one, then each registered cluster's. */
export const listedShards = (clusters: { id: string }[]) => [
  GLOBAL_SHARD,
  ...clusters.map((c) => clusterShard(c.id)),
];

/** How global-shard alerts are judged: no cluster name resolves, so they are platform-level. */
export const PLATFORM_ONLY: Tenancy = { clusterIds: new Map(), placements: new Map() };
