import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  deleteDashboard,
  findDashboard,
  insertDashboard,
  listDashboards,
  updateDashboard,
} from '../../db/queries/monitoring-dashboards';
import type { AppEnv } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { errors, json, jsonBody, noContent, writeErrors } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { dashboardView } from './dashboard-view';
import { checkedPanels } from './panel-check';
import { runPanel } from './panel-query';
import { clusterPlace, type DashboardPlace, mayWrite, namespacePlace, requireWrite } from './place';
import {
  clusterQuery,
  dashboardCreate,
  dashboardParams,
  dashboardReplace,
  dashboardView as dashboardSchema,
  dataQuery,
  namespaceDashboardParams,
  namespaceParams,
  panelData,
  panelId,
} from './schemas';

type Ctx = Context<AppEnv>;
const tags = ['monitoring'];
const clusterParam = z.object({ c: dashboardParams.shape.c });
const MAX_DASHBOARDS = 200;

/** Runs panels a few at a time: each is a round trip through the cluster's tunnel. */
async function inBatches<T, R>(items: T[], size: number, run: (item: T) => Promise<R>) {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size)
    out.push(...(await Promise.all(items.slice(i, i + size).map(run))));
  return out;
}

async function dashboardOf(c: Ctx, place: DashboardPlace, name: string) {
  const row = await findDashboard(c.get('db'), place.scope, name);
  if (!row) throw notFound(`Dashboard "${name}"`);
  return row;
}

const handlers = {
  async list(c: Ctx, place: DashboardPlace) {
    const rows = await listDashboards(c.get('db'), place.scope, MAX_DASHBOARDS);
    return c.json(
      {
        items: rows.map((row) => dashboardView(c, place, row)),
        mayCreate: mayWrite(c, place, 'create'),
      },
      200,
    );
  },
  async create(c: Ctx, place: DashboardPlace, input: z.infer<typeof dashboardCreate>) {
    c.get('audit').name = input.name;
    requireWrite(c, place, 'create');
    const panels = checkedPanels(input.panels, place.pinTo);
    const row = await insertDashboard(
      c.get('db'),
      place.scope,
      { name: input.name, title: input.title, position: input.position ?? 0, panels },
      c.get('principal').username,
    );
    if (!row) throw conflict(`Dashboard "${input.name}" already exists here.`);
    return c.json(dashboardView(c, place, row), 201);
  },
  async get(c: Ctx, place: DashboardPlace, name: string) {
    return c.json(dashboardView(c, place, await dashboardOf(c, place, name)), 200);
  },
  async replace(
    c: Ctx,
    place: DashboardPlace,
    name: string,
    input: z.infer<typeof dashboardReplace>,
  ) {
    c.get('audit').name = name;
    const existing = await dashboardOf(c, place, name);
    requireWrite(c, place, 'update');
    if (input.name !== undefined && input.name !== name)
      throw badRequest('A dashboard cannot be renamed; create one under the new name.', [
        { path: 'name', message: `must be "${name}" (the URL's)` },
      ]);
    const panels = checkedPanels(
      input.panels,
      place.pinTo,
      new Set(existing.panels.map((p) => p.id)),
    );
    const row = await updateDashboard(
      c.get('db'),
      existing.id,
      { title: input.title, position: input.position ?? existing.position, panels },
      c.get('principal').username,
    );
    if (!row) throw notFound(`Dashboard "${name}"`);
    return c.json(dashboardView(c, place, row), 200);
  },
  async remove(c: Ctx, place: DashboardPlace, name: string) {
    c.get('audit').name = name;
    const existing = await dashboardOf(c, place, name);
    requireWrite(c, place, 'delete');
    await deleteDashboard(c.get('db'), existing.id);
    return c.body(null, 204);
  },
  async data(c: Ctx, place: DashboardPlace, name: string, query: z.infer<typeof dataQuery>) {
    const row = await dashboardOf(c, place, name);
    const now = Date.now();
    const panels = await inBatches(row.panels, 6, (panel) =>
      runPanel(c.env, place.clusterId, panel, place.pinTo, { range: query.range, now }),
    );
    return c.json({ dashboard: dashboardView(c, place, row), panels }, 200);
  },
  async panel(
    c: Ctx,
    place: DashboardPlace,
    name: string,
    id: string,
    query: z.infer<typeof dataQuery>,
  ) {
    const row = await dashboardOf(c, place, name);
    const panel = row.panels.find((p) => p.id === id);
    if (!panel) throw notFound(`Panel "${id}"`);
    return c.json(
      await runPanel(c.env, place.clusterId, panel, place.pinTo, { range: query.range }),
      200,
    );
  },
};

const dashboardList = z.object({
  items: z.array(dashboardSchema),
  mayCreate: z.boolean().openapi({ description: 'Whether the caller may create dashboards here.' }),
});
const dashboardData = z
  .object({ dashboard: dashboardSchema, panels: z.array(panelData) })
  .openapi('MonitoringDashboardData');

function routesAt(path: string, level: string) {
  const one = `${path}/{name}`;
  const route = (spec: Parameters<typeof createRoute>[0]) =>
    createRoute({ ...spec, tags, security: bearerAuth });
  return {
    list: route({
      method: 'get',
      path,
      summary: `List ${level} dashboards (by position, then name)`,
      responses: { 200: json(dashboardList, 'Every dashboard.'), ...errors },
    }),
    create: route({
      method: 'post',
      path,
      summary: `Create a ${level} dashboard`,
      description:
        'Every query is parsed with the Prometheus grammar (400 `invalid_promql` naming `panels.N.query` with line and column); namespace dashboards refuse a query that names another namespace (400 `namespace_not_allowed`).',
      responses: { 201: json(dashboardSchema, 'Created.'), ...writeErrors },
    }),
    get: route({
      method: 'get',
      path: one,
      summary: `Get a ${level} dashboard`,
      responses: { 200: json(dashboardSchema, 'The dashboard.'), ...errors },
    }),
    replace: route({
      method: 'put',
      path: one,
      summary: `Replace a ${level} dashboard's title, position and panels`,
      responses: { 200: json(dashboardSchema, 'Saved.'), ...writeErrors },
    }),
    remove: route({
      method: 'delete',
      path: one,
      summary: `Delete a ${level} dashboard`,
      responses: { ...noContent, ...errors },
    }),
    data: route({
      method: 'get',
      path: `${one}/data`,
      summary: `Run every panel of a ${level} dashboard as query_range`,
      description:
        "Through the cluster's tunnel; namespace dashboards' queries are pinned to their namespace again when run. A panel that fails carries its own `error`.",
      responses: { 200: json(dashboardData, 'Each panel with its series.'), ...errors },
    }),
    panel: route({
      method: 'get',
      path: `${one}/panels/{panel}/data`,
      summary: `Run one panel of a ${level} dashboard as query_range`,
      responses: { 200: json(panelData, 'The panel with its series.'), ...errors },
    }),
  };
}

const cluster = routesAt('/api/v1/clusters/{c}/monitoring/dashboards', 'cluster');
const ns = routesAt('/api/v1/workspaces/{ws}/namespaces/{ns}/monitoring/dashboards', 'namespace');

const nsRef = (p: { ws: string; ns: string }, q: { cluster?: string | undefined }) => ({
  workspace: p.ws,
  namespace: p.ns,
  cluster: q.cluster,
});

export const dashboardRoutes = createRouter()
  .openapi({ ...cluster.list, request: { params: clusterParam } }, async (c) =>
    handlers.list(c, await clusterPlace(c, c.req.valid('param').c)),
  )
  .openapi(
    { ...cluster.create, request: { params: clusterParam, body: jsonBody(dashboardCreate) } },
    async (c) =>
      handlers.create(c, await clusterPlace(c, c.req.valid('param').c), c.req.valid('json')),
  )
  .openapi({ ...cluster.get, request: { params: dashboardParams } }, async (c) => {
    const p = c.req.valid('param');
    return handlers.get(c, await clusterPlace(c, p.c), p.name);
  })
  .openapi(
    { ...cluster.replace, request: { params: dashboardParams, body: jsonBody(dashboardReplace) } },
    async (c) => {
      const p = c.req.valid('param');
      return handlers.replace(c, await clusterPlace(c, p.c), p.name, c.req.valid('json'));
    },
  )
  .openapi({ ...cluster.remove, request: { params: dashboardParams } }, async (c) => {
    const p = c.req.valid('param');
    return handlers.remove(c, await clusterPlace(c, p.c), p.name);
  })
  .openapi(
    { ...cluster.data, request: { params: dashboardParams, query: dataQuery } },
    async (c) => {
      const p = c.req.valid('param');
      return handlers.data(c, await clusterPlace(c, p.c), p.name, c.req.valid('query'));
    },
  )
  .openapi({ ...ns.list, request: { params: namespaceParams, query: clusterQuery } }, async (c) =>
    handlers.list(c, await namespacePlace(c, nsRef(c.req.valid('param'), c.req.valid('query')))),
  )
  .openapi(
    {
      ...ns.create,
      request: { params: namespaceParams, query: clusterQuery, body: jsonBody(dashboardCreate) },
    },
    async (c) => {
      const place = await namespacePlace(c, nsRef(c.req.valid('param'), c.req.valid('query')));
      return handlers.create(c, place, c.req.valid('json'));
    },
  )
  .openapi(
    { ...ns.get, request: { params: namespaceDashboardParams, query: clusterQuery } },
    async (c) => {
      const p = c.req.valid('param');
      return handlers.get(c, await namespacePlace(c, nsRef(p, c.req.valid('query'))), p.name);
    },
  )
  .openapi(
    {
      ...ns.replace,
      request: {
        params: namespaceDashboardParams,
        query: clusterQuery,
        body: jsonBody(dashboardReplace),
      },
    },
    async (c) => {
      const p = c.req.valid('param');
      const place = await namespacePlace(c, nsRef(p, c.req.valid('query')));
      return handlers.replace(c, place, p.name, c.req.valid('json'));
    },
  )
  .openapi(
    { ...ns.remove, request: { params: namespaceDashboardParams, query: clusterQuery } },
    async (c) => {
      const p = c.req.valid('param');
      return handlers.remove(c, await namespacePlace(c, nsRef(p, c.req.valid('query'))), p.name);
    },
  )
  .openapi(
    { ...ns.data, request: { params: namespaceDashboardParams, query: dataQuery } },
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      return handlers.data(c, await namespacePlace(c, nsRef(p, q)), p.name, q);
    },
  )
  .openapi(
    {
      ...cluster.panel,
      request: { params: dashboardParams.extend({ panel: panelId }), query: dataQuery },
    },
    async (c) => {
      const p = c.req.valid('param');
      const place = await clusterPlace(c, p.c);
      return handlers.panel(c, place, p.name, p.panel, c.req.valid('query'));
    },
  )
  .openapi(
    {
      ...ns.panel,
      request: { params: namespaceDashboardParams.extend({ panel: panelId }), query: dataQuery },
    },
    async (c) => {
      const p = c.req.valid('param');
      const q = c.req.valid('query');
      return handlers.panel(c, await namespacePlace(c, nsRef(p, q)), p.name, p.panel, q);
    },
  );
