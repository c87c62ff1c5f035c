import type { AlertingEnv } from './alert-groups';

/** Alerts without a cluster label share one shard. */
export const GLOBAL_SHARD = '_global';

/**
 * Alerts are sharded by cluster: one AlertGroups object per cluster keeps
 * each shard small and independent; groups never span clusters.
 */
export const shardOf = (cluster: string | undefined) =>
  cluster ? `cluster:${cluster}` : GLOBAL_SHARD;

export const shardStub = (env: AlertingEnv, shard: string) => env.ALERT_GROUPS.getByName(shard);
