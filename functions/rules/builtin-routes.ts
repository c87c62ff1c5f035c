/**
 * A cluster's built-in rules: the catalogue (builtin/catalogue.ts) with the
 * cluster's settings and each rule's last evaluation, and PATCH to turn one
 * off or tune its `for`, threshold and severity (cluster admins; audited).
 * The edge-evaluated rules are listed too (`evaluatedBy: "edge"`); their
 * knobs are the edge's settings, so PATCH refuses them.
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type BuiltinRuleSettingRow,
  type BuiltinSettingChange,
  builtinSettingsOf,
  saveBuiltinSetting,
} from '../../db/queries/builtin-rule-settings';
import { ruleSeverities } from '../../protocol/rules';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';
import { ApiError, badRequest, notFound, validationError } from '../errors';
import { errors, json, jsonBody, writeErrors } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { clusterTarget, type ResolvedTarget } from './access';
import {
  type BuiltinRule,
  builtinExpr,
  builtinRule,
  builtinRules,
  type EdgeRule,
  edgeRule,
  edgeRules,
} from './builtin/catalogue';
import { formatDuration, parseDuration } from './duration';
import { rulesOnError } from './problems';
import { ruleEvaluationSchema } from './schemas';
import type { StoredEvaluation } from './tunnel-feature';
import { checkExpr } from './validate';
import { evaluationView, healthIn } from './view';

const builtinSchema = z
  .object({
    name: z.string(),
    title: z.string(),
    evaluatedBy: z.enum(['agent', 'edge']),
    expr: z.string().nullable().openapi({ description: 'As evaluated (threshold in place).' }),
    threshold: z.object({ value: z.number(), default: z.number(), unit: z.string() }).nullable(),
    for: z.string().nullable(),
    defaultFor: z.string().nullable(),
    severity: z.enum(ruleSeverities),
    defaultSeverity: z.enum(ruleSeverities),
    disabled: z.boolean(),
    summary: z.string().nullable(),
    description: z.string(),
    runbook: z.string().nullable(),
    needs: z.string().nullable(),
    configuredBy: z.string().nullable(),
    evaluation: ruleEvaluationSchema.nullable(),
  })
  .openapi('BuiltinAlertRule');

const patchBody = z
  .strictObject({
    disabled: z.boolean().optional(),
    for: z.string().max(32).nullable().optional(),
    threshold: z.number().finite().nullable().optional(),
    severity: z.enum(ruleSeverities).nullable().optional(),
  })
  .openapi('BuiltinAlertRulePatch');

const clusterParam = z.object({ c: z.string().min(1).max(253) });
const ruleParam = clusterParam.extend({ name: z.string().min(1).max(200) });

function agentView(
  rule: BuiltinRule,
  setting: BuiltinRuleSettingRow | undefined,
  cluster: string,
  stored: StoredEvaluation | undefined,
): z.infer<typeof builtinSchema> {
  const threshold = setting?.threshold == null ? undefined : Number(setting.threshold);
  const disabled = setting?.disabled ?? false;
  return {
    name: rule.name,
    title: rule.title,
    evaluatedBy: 'agent',
    expr: builtinExpr(rule, threshold),
    threshold: rule.threshold
      ? {
          value: threshold ?? rule.threshold.value,
          default: rule.threshold.value,
          unit: rule.threshold.unit,
        }
      : null,
    for: formatDuration(setting?.forSeconds ?? rule.forSeconds),
    defaultFor: formatDuration(rule.forSeconds),
    severity: setting?.severity ?? rule.severity,
    defaultSeverity: rule.severity,
    disabled,
    summary: rule.summary,
    description: rule.description,
    runbook: rule.runbook,
    needs: rule.needs,
    configuredBy: null,
    evaluation: disabled ? null : evaluationView(cluster, stored),
  };
}

const edgeView = (rule: EdgeRule): z.infer<typeof builtinSchema> => ({
  name: rule.name,
  title: rule.title,
  evaluatedBy: 'edge',
  expr: null,
  threshold: null,
  for: null,
  defaultFor: null,
  severity: rule.severity,
  defaultSeverity: rule.severity,
  disabled: false,
  summary: null,
  description: rule.description,
  runbook: null,
  needs: null,
  configuredBy: rule.configuredBy,
  evaluation: null,
});

async function viewsOf(c: Context<AppEnv>, target: ResolvedTarget, names?: string[]) {
  const clusterId = target.clusterIds[0] as string;
  const rules = builtinRules.filter((r) => !names || names.includes(r.name));
  const [settings, health] = await Promise.all([
    builtinSettingsOf(c.get('db'), clusterId),
    healthIn(
      c.env,
      clusterId,
      rules.map((r) => `builtin:${r.name}`),
    ),
  ]);
  return rules.map((r) =>
    agentView(r, settings.get(r.name), target.cluster ?? '', health[`builtin:${r.name}`]),
  );
}

/** The setting change of a PATCH, checked against the rule (threshold bounds, durations). */
function changeOf(rule: BuiltinRule, body: z.infer<typeof patchBody>): BuiltinSettingChange {
  const change: BuiltinSettingChange = {};
  if (body.disabled !== undefined) change.disabled = body.disabled;
  if (body.severity !== undefined) change.severity = body.severity;
  if (body.for !== undefined) {
    if (body.for === null) change.forSeconds = null;
    else {
      const seconds = parseDuration(body.for);
      if (seconds === undefined || seconds > 7 * 86_400)
        throw badRequest(`for "${body.for}" is not a Prometheus duration of at most 7d.`, [
          { path: 'for', message: 'like "5m" or "1h30m", at most 7d' },
        ]);
      change.forSeconds = seconds;
    }
  }
  if (body.threshold !== undefined) {
    if (body.threshold === null) change.threshold = null;
    else {
      const bounds = rule.threshold;
      if (!bounds)
        throw badRequest(`${rule.name} has no threshold.`, [
          { path: 'threshold', message: 'this rule has none' },
        ]);
      if (body.threshold < bounds.min || body.threshold > bounds.max)
        throw badRequest(
          `threshold must be between ${bounds.min} and ${bounds.max} (${bounds.unit}).`,
          [{ path: 'threshold', message: `${bounds.min}..${bounds.max}` }],
        );
      change.threshold = String(body.threshold);
      checkExpr(builtinExpr(rule, body.threshold), 'cluster', undefined);
    }
  }
  return change;
}

const tags = ['alerting rules'];
const list = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/alerting/builtin-rules',
  tags,
  security: bearerAuth,
  summary: "The cluster's built-in rules with its settings and their last evaluation",
  request: { params: clusterParam },
  responses: {
    200: json(z.object({ items: z.array(builtinSchema) }), 'Every built-in rule.'),
    ...errors,
  },
});
const get = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/alerting/builtin-rules/{name}',
  tags,
  security: bearerAuth,
  summary: 'One built-in rule in this cluster',
  request: { params: ruleParam },
  responses: { 200: json(builtinSchema, 'The rule.'), ...errors },
});
const patch = createRoute({
  method: 'patch',
  path: '/api/v1/clusters/{c}/alerting/builtin-rules/{name}',
  tags,
  security: bearerAuth,
  summary: 'Turn a built-in rule off or on, or change its `for`, threshold or severity here',
  description: '`null` puts the documented default back. Cluster admins; audited.',
  request: { params: ruleParam, body: jsonBody(patchBody) },
  responses: { 200: json(builtinSchema, 'The rule with its new settings.'), ...writeErrors },
});

const router = createRouter();
router.onError(rulesOnError);

export const builtinRuleRoutes = router
  .openapi(list, async (c) => {
    const target = await clusterTarget(c, 'list');
    return c.json({ items: [...(await viewsOf(c, target)), ...edgeRules.map(edgeView)] }, 200);
  })
  .openapi(get, async (c) => {
    const target = await clusterTarget(c, 'get');
    const { name } = c.req.valid('param');
    const edge = edgeRule(name);
    if (edge) return c.json(edgeView(edge), 200);
    if (!builtinRule(name)) throw notFound(`Built-in rule "${name}"`);
    const [view] = await viewsOf(c, target, [name]);
    return c.json(view as z.infer<typeof builtinSchema>, 200);
  })
  .openapi(patch, async (c) => {
    const target = await clusterTarget(c, 'update');
    const { name } = c.req.valid('param');
    Object.assign(c.get('audit'), {
      resource: 'builtinalertrules',
      name,
      cluster: target.cluster ?? undefined,
    });
    const parsed = patchBody.safeParse(c.req.valid('json'));
    if (!parsed.success) throw validationError(parsed.error, 'json');
    if (edgeRule(name))
      throw new ApiError(
        400,
        `${name} is evaluated by the edge; its settings are the edge's (see docs/rules.md).`,
        {
          code: 'evaluated_by_edge',
        },
      );
    const rule = builtinRule(name);
    if (!rule) throw notFound(`Built-in rule "${name}"`);
    const clusterId = target.clusterIds[0] as string;
    await saveBuiltinSetting(
      c.get('db'),
      clusterId,
      name,
      changeOf(rule, parsed.data),
      c.get('principal').username,
      new Date(),
    );
    await tunnelOf(c.env, clusterId)
      .pushRules()
      .catch(() => undefined);
    const [view] = await viewsOf(c, target, [name]);
    return c.json(view as z.infer<typeof builtinSchema>, 200);
  });
