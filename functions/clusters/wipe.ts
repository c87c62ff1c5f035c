import { clusterShard, legacyClusterShard, shardStub } from '../alerting/shards';
import type { Env } from '../env';
import { legacyMeteringStoreOf, meteringStoreOf } from '../metering/store-names';

/**
 * Deletes what a deleted cluster kept in Durable Objects besides its
 * tunnel: its metering store and alert shard (by id), and the name-keyed
 * ones of earlier versions. Storage and alarms go; a cluster registered
 * later under the same name starts from nothing.
 */
export async function wipeClusterState(
  env: Env,
  cluster: { id: string; name: string },
): Promise<void> {
  await Promise.all([
    meteringStoreOf(env, cluster.id).wipe(),
    legacyMeteringStoreOf(env, cluster.name).wipe(),
    shardStub(env, clusterShard(cluster.id)).wipe(),
    shardStub(env, legacyClusterShard(cluster.name)).wipe(),
  ]);
}
