/**
 * The rules a cluster evaluates and their alerts, in Prometheus' HTTP API
 * shape (`/api/v1/rules`, `/api/v1/alerts`), so Grafana and other tools
 * pointed at `/api/v1/clusters/<c>/prometheus` read them. Cluster readers
 * see every rule; namespace members only their namespaces' rules, and the
 * alerts whose `namespace` label is one of theirs.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { proxyPathProblem, rawTarget } from '../../protocol/proxy-path';
import type { ActiveAlert, EvaluatedRule, RuleGroup } from '../../protocol/rules';
import { clusterAccess, requireClusterWide } from '../clusters/access';
import { badProxyPath } from '../clusters/proxy-path-guard';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';
import { onNotFound } from '../error-handlers';
import { errors, json } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { namespacesCallerMay, RULES_RESOURCE } from './access';
import { compileForCluster } from './compile';
import { rulesOnError } from './problems';
import type { StoredEvaluation } from './tunnel-feature';

/** Go's zero time: what Prometheus shows for a rule never evaluated. */
const NEVER = '0001-01-01T00:00:00Z';

const clusterParam = z.object({ c: z.string().min(1).max(253) });
const rulesQuery = z.object({
  type: z.enum(['alert', 'record']).optional(),
  'rule_name[]': z.union([z.string(), z.array(z.string())]).optional(),
  'rule_group[]': z.union([z.string(), z.array(z.string())]).optional(),
  'file[]': z.union([z.string(), z.array(z.string())]).optional(),
  exclude_alerts: z.enum(['true', 'false']).optional(),
});
const promAlert = z.object({
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  state: z.string(),
  activeAt: z.string(),
  value: z.string(),
});
const promRule = z.object({
  state: z.enum(['inactive', 'pending', 'firing']),
  name: z.string(),
  query: z.string(),
  duration: z.number(),
  keepFiringFor: z.number(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  alerts: z.array(promAlert),
  health: z.enum(['ok', 'err', 'unknown']),
  lastError: z.string(),
  evaluationTime: z.number(),
  lastEvaluation: z.string(),
  type: z.literal('alerting'),
});
const promGroup = z.object({
  name: z.string(),
  file: z.string(),
  interval: z.number(),
  limit: z.number(),
  rules: z.array(promRule),
  evaluationTime: z.number(),
  lastEvaluation: z.string(),
});
type PromRule = z.infer<typeof promRule>;
type PromGroup = z.infer<typeof promGroup>;

/** The rule file a group "comes from", by level (Prometheus' `file`). */
function fileOf(rule: EvaluatedRule): string {
  if (rule.level === 'namespace') return `edgetower/namespace/${rule.namespace}.yaml`;
  return `edgetower/${rule.level}.yaml`;
}

function ruleLabels(rule: EvaluatedRule): Record<string, string> {
  return {
    ...rule.labels,
    severity: rule.severity,
    ...(rule.namespace ? { namespace: rule.namespace } : {}),
    ...(rule.workspace ? { workspace: rule.workspace } : {}),
  };
}

function promRuleOf(
  rule: EvaluatedRule,
  stored: StoredEvaluation | undefined,
  withAlerts: boolean,
): PromRule {
  const health =
    !stored || stored.health === 'unknown' ? 'unknown' : stored.health === 'ok' ? 'ok' : 'err';
  const missing = stored?.missingMetrics?.length
    ? `unavailable: no series of ${stored.missingMetrics.join(', ')}`
    : '';
  return {
    state: stored?.state ?? 'inactive',
    name: rule.name,
    query: rule.expr,
    duration: rule.forSeconds,
    keepFiringFor: rule.keepFiringForSeconds,
    labels: ruleLabels(rule),
    annotations: rule.annotations,
    alerts: withAlerts ? (stored?.alerts ?? []) : [],
    health,
    lastError: stored?.lastError ?? missing,
    evaluationTime: (stored?.evaluationMs ?? 0) / 1000,
    lastEvaluation: stored?.lastEvaluation ?? NEVER,
    type: 'alerting',
  };
}

const asList = (value: string | string[] | undefined) =>
  value === undefined ? undefined : Array.isArray(value) ? value : [value];

/** The cluster's compiled rules the caller may see, with their stored evaluations. */
async function visibleRules(c: Context<AppEnv>) {
  const db = c.get('db');
  const principal = c.get('principal');
  const access = await clusterAccess(db, principal, c.req.param('c') ?? '');
  const allowed = await namespacesCallerMay(db, principal, access, 'list', RULES_RESOURCE);
  if (allowed?.length === 0) requireClusterWide(principal, access, 'list', RULES_RESOURCE);
  const [frame, health] = await Promise.all([
    compileForCluster(db, access.cluster),
    tunnelOf(c.env, access.cluster.id)
      .rulesHealth()
      .catch(() => ({}) as Record<string, StoredEvaluation>),
  ]);
  const mine = (rule: EvaluatedRule) =>
    allowed === undefined || (rule.namespace !== undefined && allowed.includes(rule.namespace));
  const groups: RuleGroup[] = frame.groups
    .map((g) => ({ ...g, rules: g.rules.filter(mine) }))
    .filter((g) => g.rules.length > 0);
  return { all: frame.groups, groups, health, allowed };
}

const rules = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/prometheus/api/v1/rules',
  tags: ['alerting rules'],
  security: bearerAuth,
  summary: "The cluster's alerting rules and their state, in Prometheus' /api/v1/rules shape",
  request: { params: clusterParam, query: rulesQuery },
  responses: {
    200: json(
      z.object({ status: z.literal('success'), data: z.object({ groups: z.array(promGroup) }) }),
      'Rule groups (namespace members: only their namespaces).',
    ),
    ...errors,
  },
});
const alerts = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/prometheus/api/v1/alerts',
  tags: ['alerting rules'],
  security: bearerAuth,
  summary: "The cluster's active alerts from its rules, in Prometheus' /api/v1/alerts shape",
  request: { params: clusterParam },
  responses: {
    200: json(
      z.object({ status: z.literal('success'), data: z.object({ alerts: z.array(promAlert) }) }),
      'Pending and firing alerts (namespace members: only their namespaces).',
    ),
    ...errors,
  },
});

const router = createRouter();
router.onError(rulesOnError);

export const prometheusApiRoutes = router
  .openapi(rules, async (c) => {
    const query = c.req.valid('query');
    const url = new URL(c.req.url);
    const names = asList(
      url.searchParams.getAll('rule_name[]').length
        ? url.searchParams.getAll('rule_name[]')
        : query['rule_name[]'],
    );
    const groupNames = asList(
      url.searchParams.getAll('rule_group[]').length
        ? url.searchParams.getAll('rule_group[]')
        : query['rule_group[]'],
    );
    const files = asList(
      url.searchParams.getAll('file[]').length
        ? url.searchParams.getAll('file[]')
        : query['file[]'],
    );
    const { groups, health } = await visibleRules(c);
    const out: PromGroup[] = [];
    if (query.type !== 'record')
      for (const group of groups) {
        if (groupNames && !groupNames.includes(group.name)) continue;
        const members = group.rules.filter(
          (r) => (!names || names.includes(r.name)) && (!files || files.includes(fileOf(r))),
        );
        if (members.length === 0) continue;
        const promRules = members.map((r) =>
          promRuleOf(r, health[r.id], query.exclude_alerts !== 'true'),
        );
        const evaluated = promRules.map((r) => r.lastEvaluation).filter((t) => t !== NEVER);
        out.push({
          name: group.name,
          file: fileOf(members[0] as EvaluatedRule),
          interval: group.intervalSeconds,
          limit: 0,
          rules: promRules,
          evaluationTime: promRules.reduce((n, r) => n + r.evaluationTime, 0),
          lastEvaluation: evaluated.sort().at(-1) ?? NEVER,
        });
      }
    return c.json({ status: 'success' as const, data: { groups: out } }, 200);
  })
  .openapi(alerts, async (c) => {
    // An alert's tenancy is its `namespace` label (as everywhere in alerting), whichever rule fired it.
    const { all, health, allowed } = await visibleRules(c);
    const active: ActiveAlert[] = [];
    for (const group of all)
      for (const rule of group.rules)
        for (const alert of health[rule.id]?.alerts ?? [])
          if (allowed === undefined || allowed.includes(alert.labels.namespace ?? ''))
            active.push(alert);
    return c.json({ status: 'success' as const, data: { alerts: active } }, 200);
  });

/*
 * Anything else under the data source root: Prometheus API paths edgetower
 * does not serve are the JSON 404 every unknown route gives (raw spellings
 * such as `%2f` or dot segments are 400, as on the other passthroughs).
 */
router.all('/api/v1/clusters/:c/prometheus/*', (c) => {
  const problem = proxyPathProblem(rawTarget(c.req.url).path);
  if (problem) throw badProxyPath(problem);
  return onNotFound(c);
});
