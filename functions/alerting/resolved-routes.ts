import { createRoute, z } from '@hono/zod-openapi';
import type { Principal } from '../../db/principal';
import { allClusters, tenancyOf } from '../../db/queries/alerts';
import { bearerAuth, createRouter } from '../openapi';
import { RESOLVED_KEEP, type ResolvedView } from './alert-groups';
import { mayOnLabels, placementKey, type Tenancy } from './alert-scope';
import { filterMatchers } from './am-filter';
import { compileMatchers } from './matchers';
import { listedShards, PLATFORM_ONLY, shardStub } from './shards';

const iso = (ms: number) => new Date(ms).toISOString();

/** A GettableAlert's shape, with the state Alertmanager never reports: resolved. */
const resolvedAlert = (a: ResolvedView) => ({
  labels: a.labels,
  annotations: a.annotations,
  startsAt: iso(a.startsAt),
  endsAt: iso(a.endsAt),
  updatedAt: iso(a.updatedAt),
  generatorURL: a.generatorURL,
  fingerprint: a.fingerprint,
  receivers: a.receivers.map((name) => ({ name })),
  status: { state: 'resolved' as const, silencedBy: [], inhibitedBy: [] },
});

const resolvedRoute = createRoute({
  method: 'get',
  path: '/api/v1/alerts/resolved',
  tags: ['alerts'],
  summary: 'Recently resolved alerts you may see, most recently ended first',
  description:
    "Alertmanager's GET /api/v2/alerts (and so amtool) lists only alerts still firing; this lists those that ended within RESOLVED_ALERT_RETENTION_SECONDS (default 24 h, at most 500 per cluster), tenant-filtered exactly like the firing list.",
  security: bearerAuth,
  request: {
    query: z.object({
      filter: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(32)]).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
  },
  responses: {
    200: { description: 'Resolved alerts (GettableAlert shape, status.state "resolved").' },
    400: { description: 'Bad filter or limit.' },
  },
});

/**
 * Whether the caller may list a resolved alert. A namespace placed after the
 * alert ended was someone else's then (a workspace re-created under an old
 * name, say): the alert is judged at its cluster, not by the namespace's
 * present owner (issue #12, attack 7).
 */
function mayListResolved(principal: Principal, alert: ResolvedView, tenancy: Tenancy): boolean {
  const clusterId = alert.labels.cluster ? tenancy.clusterIds.get(alert.labels.cluster) : undefined;
  const placement =
    clusterId && alert.labels.namespace
      ? tenancy.placements.get(placementKey(clusterId, alert.labels.namespace))
      : undefined;
  if (placement && placement.createdAt.getTime() > alert.endsAt) {
    const { namespace: _, ...clusterLabels } = alert.labels;
    return mayOnLabels(principal, 'list', 'alerts', clusterLabels, tenancy);
  }
  return mayOnLabels(principal, 'list', 'alerts', alert.labels, tenancy);
}

/** Resolved alerts, kept by each shard for a bounded time. */
export const resolvedAlertRoutes = createRouter().openapi(resolvedRoute, async (c) => {
  const query = c.req.valid('query');
  const filtered = compileMatchers(filterMatchers(query.filter));
  const db = c.get('db');
  const now = Date.now();
  const clusters = await allClusters(db);
  const [global = [], ...perCluster] = await Promise.all(
    listedShards(clusters).map((s) => shardStub(c.env, s).listResolved(now, RESOLVED_KEEP)),
  );
  const alerts = perCluster.flat();
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.labels),
  );
  const principal = c.get('principal');
  // Global-shard alerts named no registered cluster when they came: platform-level.
  const visible = [
    ...global.filter((a) => mayOnLabels(principal, 'list', 'alerts', a.labels, PLATFORM_ONLY)),
    ...alerts.filter((a) => mayListResolved(principal, a, tenancy)),
  ]
    .filter((a) => filtered(a.labels))
    .sort((a, b) => b.endsAt - a.endsAt || a.fingerprint.localeCompare(b.fingerprint))
    .slice(0, query.limit);
  return c.json(visible.map(resolvedAlert), 200);
});
