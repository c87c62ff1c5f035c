import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { activeSilences, clustersByName, tenancyOf } from '../../db/queries/alerts';
import type { AlertView } from '../alerting/alert-groups';
import { mayOnLabels } from '../alerting/alert-scope';
import { clusterShard, GLOBAL_SHARD, PLATFORM_ONLY, shardStub } from '../alerting/shards';
import type { Env } from '../env';
import { can, platformScope } from '../iam/authorize';

/** A visible alert and the registered cluster whose shard holds it (none: the global shard). */
export interface ShardAlert {
  alert: AlertView;
  cluster: string | undefined;
}

/**
 * The live alerts (firing and suppressed) the caller may list, from the
 * shards of `clusterNames` — the clusters they can see, each shard by the
 * cluster's id — plus the global shard for platform-wide readers.
 * Visibility is decided per alert by the same label scope as GET
 * /api/v2/alerts; global-shard alerts (no registered cluster when they came)
 * are platform-level whatever their cluster label names now.
 */
export async function visibleShardAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  clusterNames: string[],
  now: number,
): Promise<ShardAlert[]> {
  const [active, clusters] = await Promise.all([
    activeSilences(db, new Date(now)),
    clusterNames.length ? clustersByName(db, clusterNames) : [],
  ]);
  const silences = active.map((s) => ({ id: s.id, matchers: s.matchers }));
  // Alerts of a cluster the caller cannot see are never visible to them, so
  // only the shards of visible clusters are asked (one call per cluster).
  const shards: { shard: string; cluster: string | undefined }[] = clusters.map((c) => ({
    shard: clusterShard(c.id),
    cluster: c.name,
  }));
  if (can(principal, 'list', 'alerts', platformScope))
    shards.unshift({ shard: GLOBAL_SHARD, cluster: undefined });
  const perShard = await Promise.all(
    shards.map(async ({ shard, cluster }) =>
      (await shardStub(env, shard).listAlerts(silences, now)).map((alert) => ({ alert, cluster })),
    ),
  );
  const alerts = perShard.flat();
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.alert.labels),
  );
  return alerts.filter((a) =>
    mayOnLabels(principal, 'list', 'alerts', a.alert.labels, a.cluster ? tenancy : PLATFORM_ONLY),
  );
}

/** The same, as plain alert views (the dashboard's alert pages). */
export async function visibleAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  clusterNames: string[],
  now: number,
): Promise<AlertView[]> {
  return (await visibleShardAlerts(env, db, principal, clusterNames, now)).map((a) => a.alert);
}
