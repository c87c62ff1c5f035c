/**
 * Alerting rules at three levels (issue #15): the same handlers, each level
 * naming its target differently (access.ts). Documented from the zod
 * schemas; bodies are checked here (strict: unknown fields are 400).
 */
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type AlertRuleRow,
  allRulesOf,
  clusterLabels,
  deleteRule,
  findRule,
  importRules,
  insertRule,
  listRules,
  namespaceRulesOfCluster,
  type RuleFields,
  updateRule,
} from '../../db/queries/alert-rules';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';
import { badRequest, conflict, notFound, validationError } from '../errors';
import { pageOf, toPage } from '../iam/pagination';
import { errors, json, jsonBody, noContent, writeErrors } from '../iam/schemas';
import { log } from '../log';
import { bearerAuth, createRouter } from '../openapi';
import { clusterTarget, fleetTarget, namespaceTarget, type ResolvedTarget } from './access';
import { isOrphaned, selectorMatches } from './compile';
import { rulesOnError } from './problems';
import { readRuleFile, writeRuleFile } from './rule-file';
import {
  importBody,
  importQuery,
  importResultSchema,
  replaceRuleBody,
  ruleBody,
  ruleListQuery,
  ruleSchema,
} from './schemas';
import { ruleFields } from './validate';
import { evaluationsOf, ruleView } from './view';

interface LevelDef {
  /** Hono path of the collection (`…/alerting/rules`). */
  path: string;
  /** The same with OpenAPI's `{param}` spelling. */
  docPath: string;
  params: z.ZodObject;
  query?: z.ZodObject;
  what: string;
  resolve: (c: Context<AppEnv>, verb: string) => Promise<ResolvedTarget>;
}

const levels: LevelDef[] = [
  {
    path: '/api/v1/alerting/rules',
    docPath: '/api/v1/alerting/rules',
    params: z.object({}),
    what: 'fleet rules (platform admins; `clusterSelector` picks the clusters)',
    resolve: fleetTarget,
  },
  {
    path: '/api/v1/clusters/:c/alerting/rules',
    docPath: '/api/v1/clusters/{c}/alerting/rules',
    params: z.object({ c: z.string().min(1).max(253) }),
    what: "a cluster's rules (cluster admins write, cluster readers read)",
    resolve: clusterTarget,
  },
  {
    path: '/api/v1/workspaces/:ws/namespaces/:ns/alerting/rules',
    docPath: '/api/v1/workspaces/{ws}/namespaces/{ns}/alerting/rules',
    params: z.object({ ws: z.string().min(1).max(253), ns: z.string().min(1).max(63) }),
    query: z.object({
      cluster: z
        .string()
        .max(253)
        .optional()
        .openapi({ description: 'The cluster, when the namespace is placed in several.' }),
    }),
    what: "a namespace's rules (namespace admins and operators write, viewers read), scoped to the namespace",
    resolve: namespaceTarget,
  },
];

const nameParam = z.object({ name: z.string().min(1).max(200) });

function audit(c: Context<AppEnv>, target: ResolvedTarget, name?: string) {
  Object.assign(c.get('audit'), {
    resource: 'alertrules',
    ...(name ? { name: name.slice(0, 256) } : {}),
    ...(target.cluster ? { cluster: target.cluster } : {}),
    ...(target.workspace ? { workspace: target.workspace } : {}),
    ...(target.namespace ? { namespace: target.namespace } : {}),
  });
}

async function jsonOf(c: Context<AppEnv>): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
}

/** The clusters whose rule set a change of these rows (before and after) may change. */
async function affectedClusters(
  c: Context<AppEnv>,
  target: ResolvedTarget,
  rows: { clusterSelector: Record<string, string> | null }[],
): Promise<string[]> {
  if (target.level !== 'fleet') return target.clusterIds;
  return (await clusterLabels(c.get('db')))
    .filter((cl) => rows.some((r) => selectorMatches(r.clusterSelector, cl.labels)))
    .map((cl) => cl.id);
}

/** Recompiles the clusters' rule sets and sends the changed ones to their agents now. */
async function poke(c: Context<AppEnv>, clusterIds: string[]): Promise<void> {
  const results = await Promise.allSettled(
    [...new Set(clusterIds)].map((id) => tunnelOf(c.env, id).pushRules()),
  );
  for (const result of results)
    if (result.status === 'rejected')
      log.warn('rules push failed', { error: String(result.reason) });
}

async function views(c: Context<AppEnv>, target: ResolvedTarget, rows: AlertRuleRow[]) {
  const evaluations = await evaluationsOf(c.env, c.get('db'), rows, target.cluster);
  return rows.map((row) =>
    ruleView(
      row,
      { cluster: target.cluster, workspace: target.workspace },
      evaluations.get(row.id) ?? [],
    ),
  );
}

function requireName(body: { name?: string | undefined }, name: string): string {
  if (body.name !== undefined && body.name !== name)
    throw badRequest('name cannot change: create the rule under its new name.', [
      { path: 'name', message: `must be "${name}"` },
    ]);
  return name;
}

/** Import: keep what a rule file cannot say (fleet selector, disabled) of rules already there. */
function keepUnsaid(fields: RuleFields, existing: AlertRuleRow | undefined): RuleFields {
  if (!existing) return fields;
  return {
    ...fields,
    disabled: existing.disabled,
    clusterSelector: existing.level === 'fleet' ? existing.clusterSelector : fields.clusterSelector,
  };
}

const router = createRouter();
router.onError(rulesOnError);

for (const level of levels) {
  const tags = ['alerting rules'];
  const collectionParams = level.params;
  const itemParams = level.params.extend(nameParam.shape);
  const query = level.query ?? z.object({});
  const doc = (route: Parameters<typeof createRoute>[0]) =>
    router.openAPIRegistry.registerPath(createRoute(route));

  doc({
    method: 'get',
    path: level.docPath,
    tags,
    security: bearerAuth,
    summary: `List ${level.what}; \`format=prometheus\` answers a Prometheus rule file (YAML)`,
    request: {
      params: collectionParams,
      query: ruleListQuery.extend(query.shape).extend(
        level.path.includes(':c/')
          ? {
              level: z.enum(['cluster', 'namespace']).optional().openapi({
                description:
                  '`namespace`: every namespace rule of the cluster, with `orphaned` (cluster readers).',
              }),
            }
          : {},
      ),
    },
    responses: {
      200: {
        description: 'One page of rules, each with its last evaluation per cluster.',
        content: {
          'application/json': {
            schema: z.object({ items: z.array(ruleSchema), nextCursor: z.string().optional() }),
          },
          'application/yaml': { schema: z.string() },
        },
      },
      ...errors,
    },
  });
  router.get(level.path, async (c) => {
    const target = await level.resolve(c, 'list');
    const parsed = ruleListQuery.safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const db = c.get('db');
    if (parsed.data.format === 'prometheus') {
      const text = writeRuleFile(await allRulesOf(db, target.target.scopeKey));
      return c.body(text, 200, { 'content-type': 'application/yaml; charset=utf-8' });
    }
    const page = toPage(parsed.data);
    if (target.level === 'cluster' && c.req.query('level') === 'namespace') {
      const rows = (await namespaceRulesOfCluster(db, target.clusterIds[0] as string))
        .map((r) => ({ ...r, key: `${r.rule.namespace}/${r.rule.name}` }))
        .filter((r) => page.after === undefined || r.key > page.after)
        .slice(0, page.limit + 1);
      const evaluations = await evaluationsOf(
        c.env,
        db,
        rows.map((r) => r.rule),
        target.cluster,
      );
      return c.json(
        pageOf(
          rows,
          page,
          (r) => r.key,
          (r) =>
            ruleView(
              r.rule,
              { cluster: target.cluster, workspace: r.workspace },
              evaluations.get(r.rule.id) ?? [],
              isOrphaned(r),
            ),
        ),
        200,
      );
    }
    const rows = await listRules(db, target.target.scopeKey, page);
    const items = await views(c, target, rows.slice(0, page.limit));
    const paged = pageOf(
      rows,
      page,
      (r) => r.name,
      (r) => r.id,
    );
    return c.json({ items, ...(paged.nextCursor ? { nextCursor: paged.nextCursor } : {}) }, 200);
  });

  doc({
    method: 'post',
    path: level.docPath,
    tags,
    security: bearerAuth,
    summary: `Create one of ${level.what}`,
    description:
      "PromQL is parsed with Prometheus' grammar: `400 invalid_promql` with `line` and `column`. Namespace rules are scoped to their namespace; naming another is `400 namespace_not_allowed` with `line` and `column`.",
    request: { params: collectionParams, query, body: jsonBody(ruleBody) },
    responses: { 201: json(ruleSchema, 'Created.'), ...writeErrors },
  });
  router.post(level.path, async (c) => {
    const target = await level.resolve(c, 'create');
    const parsed = ruleBody.safeParse(await jsonOf(c));
    if (!parsed.success) throw validationError(parsed.error, 'json');
    audit(c, target, parsed.data.name);
    const fields = ruleFields(parsed.data, target.level, target.namespace ?? undefined);
    const by = c.get('principal').username;
    const row = await insertRule(c.get('db'), target.target, fields, by, new Date());
    if (!row) throw conflict(`Rule "${fields.name}" already exists here.`);
    await poke(c, await affectedClusters(c, target, [row]));
    const [view] = await views(c, target, [row]);
    return c.json(view, 201);
  });

  doc({
    method: 'post',
    path: `${level.docPath}:import`,
    tags,
    security: bearerAuth,
    summary: `Import a Prometheus rule file into ${level.what}`,
    description:
      'YAML or JSON `groups: [{name, interval?, rules: [{alert, expr, for?, keep_firing_for?, labels?, annotations?}]}]`, all or nothing. `mode=merge` (default) adds and overwrites rules of the same name; `mode=replace` also removes the others. Recording rules are refused (`400 recording_rules_unsupported`, naming them). Errors carry `group` and `rule` (0-based indices) and, for PromQL, `line` and `column`. Severity comes from `labels.severity` (default warning).',
    request: { params: collectionParams, query: importQuery.extend(query.shape), body: importBody },
    responses: { 201: json(importResultSchema, 'Imported.'), ...writeErrors },
  });
  router.post(`${level.path}:import`, async (c) => {
    const target = await level.resolve(c, 'create');
    const mode = importQuery.safeParse(c.req.query());
    if (!mode.success) throw validationError(mode.error, 'query');
    audit(c, target, 'import');
    const text = await bodyText(c);
    const entries = readRuleFile(text);
    const db = c.get('db');
    const before = await allRulesOf(db, target.target.scopeKey);
    const existing = new Map(before.map((r) => [r.name, r]));
    const fields = entries.map((entry) =>
      keepUnsaid(
        ruleFields(entry.body, target.level, target.namespace ?? undefined, {
          group: entry.group,
          rule: entry.rule,
        }),
        existing.get(entry.body.name),
      ),
    );
    await importRules(
      db,
      target.target,
      fields,
      mode.data.mode,
      c.get('principal').username,
      new Date(),
    );
    await poke(c, await affectedClusters(c, target, [...before, ...fields]));
    const groups = new Map<string, string[]>();
    for (const f of fields) groups.set(f.groupName, [...(groups.get(f.groupName) ?? []), f.name]);
    return c.json(
      {
        mode: mode.data.mode,
        imported: fields.length,
        groups: [...groups.entries()].map(([name, rules]) => ({ name, rules })),
      },
      201,
    );
  });

  const item = `${level.path}/:name`;
  const docItem = `${level.docPath}/{name}`;
  const found = async (c: Context<AppEnv>, target: ResolvedTarget) => {
    const name = c.req.param('name') ?? '';
    const row = await findRule(c.get('db'), target.target.scopeKey, name);
    if (!row) throw notFound(`Rule "${name}"`);
    return row;
  };

  doc({
    method: 'get',
    path: docItem,
    tags,
    security: bearerAuth,
    summary: `One of ${level.what}, with its last evaluation`,
    request: { params: itemParams, query },
    responses: { 200: json(ruleSchema, 'The rule.'), ...errors },
  });
  router.get(item, async (c) => {
    const target = await level.resolve(c, 'get');
    const [view] = await views(c, target, [await found(c, target)]);
    return c.json(view, 200);
  });

  doc({
    method: 'put',
    path: docItem,
    tags,
    security: bearerAuth,
    summary: `Replace one of ${level.what}`,
    request: { params: itemParams, query, body: jsonBody(replaceRuleBody) },
    responses: { 200: json(ruleSchema, 'Replaced.'), ...writeErrors },
  });
  router.put(item, async (c) => {
    const target = await level.resolve(c, 'update');
    audit(c, target, c.req.param('name'));
    const parsed = replaceRuleBody.safeParse(await jsonOf(c));
    if (!parsed.success) throw validationError(parsed.error, 'json');
    const row = await found(c, target);
    const name = requireName(parsed.data, row.name);
    const fields = ruleFields(
      { ...parsed.data, name },
      target.level,
      target.namespace ?? undefined,
    );
    const updated = await updateRule(
      c.get('db'),
      row.id,
      fields,
      c.get('principal').username,
      new Date(),
    );
    if (!updated) throw conflict(`Rule "${name}" changed meanwhile; read it again and retry.`);
    await poke(c, await affectedClusters(c, target, [row, updated]));
    const [view] = await views(c, target, [updated]);
    return c.json(view, 200);
  });

  doc({
    method: 'delete',
    path: docItem,
    tags,
    security: bearerAuth,
    summary: `Delete one of ${level.what}`,
    request: { params: itemParams, query },
    responses: { ...noContent, ...errors },
  });
  router.delete(item, async (c) => {
    const target = await level.resolve(c, 'delete');
    audit(c, target, c.req.param('name'));
    const row = await found(c, target);
    await deleteRule(c.get('db'), row.id);
    await poke(c, await affectedClusters(c, target, [row]));
    return c.body(null, 204);
  });
}

/** A request body as UTF-8 text (YAML is read as bytes: workerd warns on .text() of non-text types). */
async function bodyText(c: Context<AppEnv>): Promise<string> {
  // Read outside the try: the body limit's 413 must stay a 413.
  const bytes = await c.req.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw badRequest('The body is not UTF-8 text.', [{ path: '(body)', message: 'not UTF-8' }]);
  }
}

export const alertRuleRoutes = router;
