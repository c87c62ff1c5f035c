import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { activeSilences, allClusters, tenancyOf } from '../../db/queries/alerts';
import type { Env } from '../env';
import type { AlertView } from './alert-groups';
import { mayOnLabels, type Tenancy } from './alert-scope';
import { filterMatchers } from './am-filter';
import { compileMatchers, invalidRegex, regexProblem, type ValueTest, valueTest } from './matchers';
import { inhibitRulesIn, silencesPerShard } from './muting';
import { clusterShard, GLOBAL_SHARD, PLATFORM_ONLY, shardStub } from './shards';

/** Alertmanager's `filter`, `active`, `silenced`, `inhibited` query parameters, parsed. */
export interface AlertFilter {
  filter?: string | string[] | undefined;
  active: boolean;
  silenced: boolean;
  inhibited: boolean;
}

/** Alertmanager's `receiver` parameter: an anchored RE2 regex over receiver names. */
export function receiverTest(pattern: string): ValueTest {
  const problem = regexProblem(pattern);
  if (problem !== undefined) throw invalidRegex('for receiver', pattern, problem);
  return valueTest({ name: 'receiver', op: '=~', value: pattern });
}

/**
 * The live alerts the caller may `list` (by each alert's cluster and
 * namespace placement), matching Alertmanager's filters, with the tenancy
 * their labels resolved to. GET /api/v2/alerts and /api/v2/alerts/groups
 * both list through here, so they scope alike. Each cluster's shard is
 * keyed by the cluster's id and gets only the silences that can match it;
 * global-shard alerts named no registered cluster and are platform-level.
 */
export async function visibleAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  query: AlertFilter,
  now = Date.now(),
): Promise<{ alerts: AlertView[]; tenancy: Tenancy }> {
  const filtered = compileMatchers(filterMatchers(query.filter));
  const [active, rules, clusters] = await Promise.all([
    activeSilences(db, new Date(now)),
    inhibitRulesIn(db),
    allClusters(db),
  ]);
  const silencesFor = silencesPerShard(
    active.map((s) => ({ id: s.id, matchers: s.matchers })),
    clusters.map((cl) => cl.name),
  );
  const shards: [string, string | undefined][] = [
    [GLOBAL_SHARD, undefined],
    ...clusters.map((cl): [string, string] => [clusterShard(cl.id), cl.name]),
  ];
  const perShard = await Promise.all(
    shards.map(([s, cluster]) => shardStub(env, s).listAlerts(silencesFor(cluster), now, rules)),
  );
  const alerts: AlertView[] = perShard.flat();
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.labels),
  );
  const fromGlobal = new Set(perShard[0]);
  const visible = alerts.filter((a) => {
    const judgedBy = fromGlobal.has(a) ? PLATFORM_ONLY : tenancy;
    if (!mayOnLabels(principal, 'list', 'alerts', a.labels, judgedBy)) return false;
    if (!filtered(a.labels)) return false;
    if (a.state === 'active') return query.active;
    if (a.silencedBy.length && !query.silenced) return false;
    if (a.inhibitedBy.length && !query.inhibited) return false;
    return true;
  });
  return { alerts: visible, tenancy };
}
