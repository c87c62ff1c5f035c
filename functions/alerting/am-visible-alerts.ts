import type { Database } from '../../db/client';
import { activeSilences, allClusters, tenancyOf } from '../../db/queries/alerts';
import type { LabelMatcher } from '../../db/schema/notification-receivers';
import type { Principal } from '../auth/principal';
import type { Env } from '../env';
import { badRequest } from '../errors';
import type { AlertView } from './alert-groups';
import { mayOnLabels, type Tenancy } from './alert-scope';
import { parseMatcher } from './am-filter';
import { isValidPattern, matchesAll } from './labels';
import { inhibitRulesIn } from './muting';
import { GLOBAL_SHARD, shardOf, shardStub } from './shards';

/** Alertmanager's `filter`, `active`, `silenced`, `inhibited` query parameters, parsed. */
export interface AlertFilter {
  filter?: string | string[] | undefined;
  active: boolean;
  silenced: boolean;
  inhibited: boolean;
}

/** Alertmanager's `receiver` parameter: a regex over receiver names, fully anchored. */
export function receiverPattern(pattern: string): RegExp {
  if (!isValidPattern(pattern))
    throw badRequest(`Invalid receiver regular expression "${pattern}".`);
  return new RegExp(`^(?:${pattern})$`);
}

/**
 * The live alerts the caller may `list` (by each alert's cluster and
 * namespace placement), matching Alertmanager's filters, with the tenancy
 * their labels resolved to. GET /api/v2/alerts and /api/v2/alerts/groups
 * both list through here, so they scope alike.
 */
export async function visibleAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  query: AlertFilter,
  now = Date.now(),
): Promise<{ alerts: AlertView[]; tenancy: Tenancy }> {
  const filters: LabelMatcher[] = (
    typeof query.filter === 'string' ? [query.filter] : (query.filter ?? [])
  ).map(parseMatcher);
  const [active, rules, clusters] = await Promise.all([
    activeSilences(db, new Date(now)),
    inhibitRulesIn(db),
    allClusters(db),
  ]);
  const silences = active.map((s) => ({ id: s.id, matchers: s.matchers }));
  const shards = [GLOBAL_SHARD, ...clusters.map((cl) => shardOf(cl.name))];
  const perShard = await Promise.all(
    shards.map((s) => shardStub(env, s).listAlerts(silences, now, rules)),
  );
  const alerts: AlertView[] = perShard.flat();
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.labels),
  );
  const visible = alerts.filter((a) => {
    if (!mayOnLabels(principal, 'list', 'alerts', a.labels, tenancy)) return false;
    if (!matchesAll(a.labels, filters)) return false;
    if (a.state === 'active') return query.active;
    if (a.silencedBy.length && !query.silenced) return false;
    if (a.inhibitedBy.length && !query.inhibited) return false;
    return true;
  });
  return { alerts: visible, tenancy };
}
