import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { activeSilences, tenancyOf } from '../../db/queries/alerts';
import type { AlertView } from '../alerting/alert-groups';
import { mayOnLabels } from '../alerting/alert-scope';
import { GLOBAL_SHARD, shardOf, shardStub } from '../alerting/shards';
import type { Env } from '../env';
import { can, platformScope } from '../iam/authorize';

/**
 * The live alerts (firing and suppressed) the caller may list, from the
 * shards of `clusterNames` — the clusters they can see — plus the global
 * shard for platform-wide readers. Visibility is decided per alert by the
 * same label scope as GET /api/v2/alerts.
 */
export async function visibleAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  clusterNames: string[],
  now: number,
): Promise<AlertView[]> {
  const silences = (await activeSilences(db, new Date(now))).map((s) => ({
    id: s.id,
    matchers: s.matchers,
  }));
  // Alerts of a cluster the caller cannot see are never visible to them, so
  // only the shards of visible clusters are asked (one call per cluster).
  const shards = clusterNames.map(shardOf);
  if (can(principal, 'list', 'alerts', platformScope)) shards.unshift(GLOBAL_SHARD);
  const perShard = await Promise.all(
    [...new Set(shards)].map((s) => shardStub(env, s).listAlerts(silences, now)),
  );
  const alerts = perShard.flat();
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.labels),
  );
  return alerts.filter((a) => mayOnLabels(principal, 'list', 'alerts', a.labels, tenancy));
}
