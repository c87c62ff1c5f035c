import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { clusterAccess, requireClusterWide } from '../clusters/access';
import type { Env } from '../env';
import type { RetentionInput, RetentionView } from './retention-schema';

const storeOf = (env: Env, cluster: string) =>
  env.METERING_STORE.get(env.METERING_STORE.idFromName(`cluster:${cluster}`));

/**
 * Reads a cluster's metering retention: cluster-wide metering readers
 * (platform readers, cluster viewers and admins). A cluster the caller
 * cannot see is 404; one they see through a workspace only, 403.
 */
export async function readRetentionOf(
  env: Env,
  db: Database,
  principal: Principal,
  clusterName: string,
): Promise<RetentionView> {
  const access = await clusterAccess(db, principal, clusterName);
  requireClusterWide(principal, access, 'get', 'metering');
  const retention = await storeOf(env, access.cluster.name).retention();
  return { cluster: access.cluster.name, ...retention };
}

/**
 * Sets it (platform admins and the cluster's admins): the store's next
 * hourly alarm prunes by the new settings; raising them keeps what is
 * still there, lowering them drops facts for good.
 */
export async function writeRetentionOf(
  env: Env,
  db: Database,
  principal: Principal,
  clusterName: string,
  input: RetentionInput,
): Promise<RetentionView> {
  const access = await clusterAccess(db, principal, clusterName);
  requireClusterWide(principal, access, 'update', 'metering');
  const retention = await storeOf(env, access.cluster.name).setRetention({
    rawDays: input.rawDays,
    hourlyDays: input.hourlyDays,
    dailyDays: input.dailyDays ?? 0,
  });
  return { cluster: access.cluster.name, ...retention };
}
