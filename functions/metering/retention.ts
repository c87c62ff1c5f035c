import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { clusterAccess, requireClusterWide } from '../clusters/access';
import type { Env } from '../env';
import type { RetentionInput, RetentionView } from './retention-schema';

import { legacyMeteringStoreOf, meteringStoreOf } from './store-names';
import { defaultRetention } from './store-retention';

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
  // A cluster metered before stores were keyed by id keeps the retention it was given then.
  const [current, legacy] = await Promise.all([
    meteringStoreOf(env, access.cluster.id).retentionSetting(),
    legacyMeteringStoreOf(env, access.cluster.name).retentionSetting(),
  ]);
  return { cluster: access.cluster.name, ...(current ?? legacy ?? defaultRetention) };
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
  const wanted = {
    rawDays: input.rawDays,
    hourlyDays: input.hourlyDays,
    dailyDays: input.dailyDays ?? 0,
  };
  const [retention] = await Promise.all([
    meteringStoreOf(env, access.cluster.id).setRetention(wanted),
    legacyMeteringStoreOf(env, access.cluster.name).setRetentionIfStored(wanted),
  ]);
  return { cluster: access.cluster.name, ...retention };
}
