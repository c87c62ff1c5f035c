import { createRoute, type z } from '@hono/zod-openapi';
import type { Principal } from '../../db/principal';
import {
  deleteInhibitRule,
  findInhibitRule,
  type InhibitRuleRow,
  insertInhibitRule,
  listInhibitRules,
  updateInhibitRule,
} from '../../db/queries/inhibit-rules';
import { conflict, notFound } from '../errors';
import { authorize, platformScope } from '../iam/authorize';
import { orConflict } from '../iam/conflicts';
import { idParam } from '../notify/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { inhibitRuleBody, inhibitRuleList, inhibitRuleView } from './inhibit-schemas';
import { defaultInhibitRules } from './muting';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const base = '/api/v1/notification/inhibit-rules';
const RESOURCE = 'inhibitrules';

const listRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notification'],
  summary: 'Inhibition rules (the built-in default while none is stored)',
  security: bearerAuth,
  responses: { 200: { description: 'The rules in force.', content: json(inhibitRuleList) } },
});
const createRuleRoute = createRoute({
  method: 'post',
  path: base,
  tags: ['notification'],
  summary: 'Add an inhibition rule (stored rules replace the built-in default)',
  security: bearerAuth,
  request: { body: { content: json(inhibitRuleBody), required: true } },
  responses: {
    201: { description: 'Created.', content: json(inhibitRuleView) },
    400: { description: 'Invalid rule.' },
    403: { description: 'Platform administrators only.' },
    409: { description: 'Name taken.' },
  },
});
const getRuleRoute = createRoute({
  method: 'get',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'One inhibition rule',
  security: bearerAuth,
  request: { params: idParam },
  responses: {
    200: { description: 'The rule.', content: json(inhibitRuleView) },
    404: { description: 'Not found.' },
  },
});
const putRuleRoute = createRoute({
  method: 'put',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'Replace an inhibition rule',
  security: bearerAuth,
  request: { params: idParam, body: { content: json(inhibitRuleBody), required: true } },
  responses: {
    200: { description: 'Replaced.', content: json(inhibitRuleView) },
    404: { description: 'Not found.' },
    409: { description: 'Name taken.' },
  },
});
const deleteRuleRoute = createRoute({
  method: 'delete',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'Delete an inhibition rule (the default applies again once none is left)',
  security: bearerAuth,
  request: { params: idParam },
  responses: { 204: { description: 'Deleted.' }, 404: { description: 'Not found.' } },
});

const render = (r: InhibitRuleRow) => ({
  id: r.id,
  name: r.name,
  sourceMatchers: r.sourceMatchers,
  targetMatchers: r.targetMatchers,
  equal: r.equal,
  builtIn: false,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const builtIn = defaultInhibitRules.map((rule, i) => ({
  id: `default-${i}`,
  name: `default-${i}`,
  sourceMatchers: rule.source,
  targetMatchers: rule.target,
  equal: rule.equal,
  builtIn: true,
}));

/** Rules act on every tenant's alerts, so only the platform manages them. */
const allow = (principal: Principal, verb: string, what = 'Inhibition rule') =>
  authorize(principal, verb, RESOURCE, platformScope, what);

/**
 * `/api/v1/notification/inhibit-rules`: Alertmanager's inhibit_rules
 * (source matchers, target matchers, equal labels), platform-wide. The
 * AlertGroups shards read them at every flush and listing.
 */
export const inhibitRuleRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    allow(c.get('principal'), 'list');
    const rows = await listInhibitRules(c.get('db'));
    return c.json(
      rows.length
        ? { items: rows.map(render), usingDefault: false }
        : { items: builtIn, usingDefault: true },
      200,
    );
  })
  .openapi(createRuleRoute, async (c) => {
    const principal = c.get('principal');
    allow(principal, 'create');
    const body = c.req.valid('json');
    const row = await insertInhibitRule(c.get('db'), {
      name: body.name,
      sourceMatchers: body.sourceMatchers,
      targetMatchers: body.targetMatchers,
      equal: body.equal ?? [],
      createdBy: principal.username,
    });
    if (!row) throw conflict(`An inhibition rule named "${body.name}" already exists.`);
    c.get('audit').name = body.name;
    return c.json(render(row), 201);
  })
  .openapi(getRuleRoute, async (c) => {
    const { id } = c.req.valid('param');
    allow(c.get('principal'), 'get', `Inhibition rule "${id}"`);
    const row = await findInhibitRule(c.get('db'), id);
    if (!row) throw notFound(`Inhibition rule "${id}"`);
    return c.json(render(row), 200);
  })
  .openapi(putRuleRoute, async (c) => {
    const { id } = c.req.valid('param');
    allow(c.get('principal'), 'update', `Inhibition rule "${id}"`);
    const body = c.req.valid('json');
    const row = await orConflict(
      updateInhibitRule(c.get('db'), id, {
        name: body.name,
        sourceMatchers: body.sourceMatchers,
        targetMatchers: body.targetMatchers,
        equal: body.equal ?? [],
      }),
      `An inhibition rule named "${body.name}" already exists.`,
    );
    if (!row) throw notFound(`Inhibition rule "${id}"`);
    c.get('audit').name = row.name;
    return c.json(render(row), 200);
  })
  .openapi(deleteRuleRoute, async (c) => {
    const { id } = c.req.valid('param');
    allow(c.get('principal'), 'delete', `Inhibition rule "${id}"`);
    const db = c.get('db');
    const row = await findInhibitRule(db, id);
    if (!row || !(await deleteInhibitRule(db, id))) throw notFound(`Inhibition rule "${id}"`);
    c.get('audit').name = row.name;
    return c.body(null, 204);
  });
