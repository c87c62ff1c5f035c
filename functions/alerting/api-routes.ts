import { createRoute, z } from '@hono/zod-openapi';
import { activeSilences, allClusters, tenancyOf } from '../../db/queries/alerts';
import { bearerAuth, createRouter } from '../openapi';
import type { AlertView } from './alert-groups';
import { mayOnLabels } from './alert-scope';
import { filterMatchers } from './am-filter';
import { gettableAlert } from './am-views';
import { ingestAlerts } from './intake';
import { normalizeAlerts, postAlertsBody } from './intake-schema';
import { compileMatchers, invalidRegex, regexProblem, valueTest } from './matchers';
import { inhibitRulesIn, silencesPerShard } from './muting';
import { clusterShard, GLOBAL_SHARD, PLATFORM_ONLY, shardStub } from './shards';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const flag = z
  .enum(['true', 'false'])
  .default('true')
  .transform((v) => v === 'true');

const postAlertsRoute = createRoute({
  method: 'post',
  path: '/api/v2/alerts',
  tags: ['alerts'],
  summary: 'Post alerts (Alertmanager API v2 array or webhook payload v4); needs create:alerts',
  security: bearerAuth,
  request: { body: { content: json(postAlertsBody), required: true } },
  responses: {
    200: { description: 'Accepted.' },
    400: { description: 'Invalid alerts.' },
    403: {
      description: 'Not allowed to post alerts for a cluster or namespace named in the labels.',
    },
  },
});

const getAlertsRoute = createRoute({
  method: 'get',
  path: '/api/v2/alerts',
  tags: ['alerts'],
  summary: 'Alerts you may see (Alertmanager API v2, for amtool)',
  security: bearerAuth,
  request: {
    query: z.object({
      filter: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(32)]).optional(),
      active: flag,
      silenced: flag,
      inhibited: flag,
      unprocessed: flag,
      receiver: z.string().max(256).optional(),
    }),
  },
  responses: { 200: { description: 'GettableAlerts.' } },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/api/v2/status',
  tags: ['alerts'],
  summary: 'Alertmanager API v2 status (what amtool asks first)',
  security: bearerAuth,
  responses: { 200: { description: 'AlertmanagerStatus.' } },
});

const startedAt = new Date();

/** The `receiver` parameter: an anchored RE2 regex on receiver names, as Alertmanager's. */
function receiverTest(pattern: string): (name: string) => boolean {
  const problem = regexProblem(pattern);
  if (problem !== undefined) throw invalidRegex('for receiver', pattern, problem);
  return valueTest({ name: 'receiver', op: '=~', value: pattern });
}

/** The Alertmanager API v2 subset Prometheus and amtool use: alerts and status. */
export const alertApiRoutes = createRouter()
  .openapi(postAlertsRoute, async (c) => {
    // Prometheus posts every evaluation interval: auditing each post would drown the audit log.
    c.get('audit').skip = true;
    c.set('principalsUnchanged', true);
    const now = Date.now();
    await ingestAlerts(
      c.env,
      c.get('db'),
      c.get('principal'),
      normalizeAlerts(c.req.valid('json'), now),
      now,
    );
    return c.body(null, 200);
  })
  .openapi(getAlertsRoute, async (c) => {
    const query = c.req.valid('query');
    const filtered = compileMatchers(filterMatchers(query.filter));
    const receiver = query.receiver ? receiverTest(query.receiver) : undefined;
    const db = c.get('db');
    const now = Date.now();
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
      shards.map(([s, cluster]) =>
        shardStub(c.env, s).listAlerts(silencesFor(cluster), now, rules),
      ),
    );
    const alerts: AlertView[] = perShard.flat();
    const tenancy = await tenancyOf(
      db,
      alerts.map((a) => a.labels),
    );
    // The first shard is the global one: its alerts named no registered cluster, platform-level.
    const fromGlobal = new Set(perShard[0]);
    const principal = c.get('principal');
    const visible = alerts.filter((a) => {
      const judgedBy = fromGlobal.has(a) ? PLATFORM_ONLY : tenancy;
      if (!mayOnLabels(principal, 'list', 'alerts', a.labels, judgedBy)) return false;
      if (!filtered(a.labels)) return false;
      if (receiver && !a.receivers.some(receiver)) return false;
      if (a.state === 'active') return query.active;
      if (a.silencedBy.length && !query.silenced) return false;
      if (a.inhibitedBy.length && !query.inhibited) return false;
      return true;
    });
    return c.json(visible.map(gettableAlert), 200);
  })
  .openapi(statusRoute, async (c) =>
    c.json(
      {
        cluster: { name: 'edgetower', status: 'ready', peers: [] },
        versionInfo: {
          branch: 'main',
          buildDate: '',
          buildUser: 'edgetower',
          goVersion: 'n/a',
          revision: '',
          version: '0.27.0-edgetower',
        },
        config: { original: '' },
        uptime: startedAt.toISOString(),
      },
      200,
    ),
  );
