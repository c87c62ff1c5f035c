import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AppRecord } from '../../db/queries/apps';
import {
  appClusterRows,
  collectDeleted,
  findApp,
  forgetApp,
  insertApp,
  listApps,
  markAppDeleting,
  placeApp,
  replaceApp,
} from '../../db/queries/apps';
import type { WorkspaceRow } from '../../db/queries/workspaces';
import type { AppEnv, Env } from '../env';
import { badRequest, conflict, notFound } from '../errors';
import { errors, json, jsonBody, writeErrors } from '../iam/schemas';
import { visibleWorkspace } from '../iam/scopes';
import { bearerAuth, createRouter } from '../openapi';
import { authorizeApp, mayOnApp } from './access';
import { advanceApps, type PushDelivery, pushRemote } from './controller';
import { appListSchema, appSchema, createAppBody, replaceAppBody } from './schemas';
import { sealManifests } from './secrets';
import { claimNamespace, validateApp } from './spec';
import { appView } from './view';

const tags = ['apps'];
const wsParam = z.object({ ws: z.string().min(1).max(253) });
const appParam = wsParam.extend({ app: z.string().min(1).max(253) });
const tooLarge = {
  413: json(z.object({ code: z.string(), message: z.string() }), 'Manifests over 1 MiB.'),
};

const list = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/apps',
  tags,
  security: bearerAuth,
  summary: "A workspace's apps, each with its phase and per-cluster status",
  request: { params: wsParam },
  responses: { 200: json(appListSchema, 'The apps the caller may read.'), ...errors },
});
const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/apps/{app}',
  tags,
  security: bearerAuth,
  summary: 'One app: its spec (Secrets by name and keys only) and status',
  request: { params: appParam },
  responses: { 200: json(appSchema, 'The app.'), ...errors },
});
const create = createRoute({
  method: 'post',
  path: '/workspaces/{ws}/apps',
  tags,
  security: bearerAuth,
  summary: 'Deliver an app to the clusters its placement selects',
  request: { params: wsParam, body: jsonBody(createAppBody) },
  responses: {
    201: json(appSchema, 'Created; delivery has started.'),
    ...writeErrors,
    ...tooLarge,
  },
});
const replace = createRoute({
  method: 'put',
  path: '/workspaces/{ws}/apps/{app}',
  tags,
  security: bearerAuth,
  summary: "Replace an app's spec (generation + 1); the new generation rolls out",
  request: { params: appParam, body: jsonBody(replaceAppBody) },
  responses: { 200: json(appSchema, 'Replaced.'), ...writeErrors, ...tooLarge },
});
const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}/apps/{app}',
  tags,
  security: bearerAuth,
  summary: 'Delete an app everywhere; `force=true` forgets clusters that have not confirmed',
  request: { params: appParam, query: z.object({ force: z.enum(['true', 'false']).optional() }) },
  responses: {
    202: json(appSchema, 'Deleting: the app lists as Deleting until every cluster confirms.'),
    200: json(
      appSchema,
      'Forced: forgotten now; status.mayKeepObjects names clusters that may keep objects.',
    ),
    ...errors,
  },
});

async function viewOf(c: Context<AppEnv>, app: AppRecord, workspace: WorkspaceRow, extra = {}) {
  const rows = await appClusterRows(c.get('db'), [app.id]);
  return appView(app, workspace.name, rows, new Date(), extra);
}

/** The app if the caller may read it; 404 otherwise, exactly as for one that does not exist. */
async function readableApp(c: Context<AppEnv>, ws: string, name: string) {
  const db = c.get('db');
  const principal = c.get('principal');
  const { workspace } = await visibleWorkspace(db, principal, ws);
  await collectDeleted(db, new Date());
  const app = await findApp(db, workspace.id, name);
  if (!app || !(await mayOnApp(db, principal, 'get', workspace, app.namespace, [])))
    throw notFound(`App "${name}"`);
  return { workspace, app };
}

/** Sends the apps' owed frames to these clusters' leaders now (a cluster that is away catches up on return). */
async function pushTo(c: Context<AppEnv>, clusterIds: string[], appId: string) {
  await pushRemote(deliveryPush(c.env), new Map(clusterIds.map((id) => [id, [appId]])));
}

const editor = (c: Context<AppEnv>) => ({
  editorUser: c.get('principal').username,
  editorGroups: c.get('principal').groups,
});

export const appRoutes = createRouter()
  .openapi(list, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { workspace } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    const now = new Date();
    await collectDeleted(db, now);
    const items = [];
    for (const app of await listApps(db, workspace.id)) {
      if (!(await mayOnApp(db, principal, 'list', workspace, app.namespace, []))) continue;
      items.push(appView(app, workspace.name, await appClusterRows(db, [app.id]), now));
    }
    return c.json({ items }, 200);
  })
  .openapi(get, async (c) => {
    const { ws, app: name } = c.req.valid('param');
    const { workspace, app } = await readableApp(c, ws, name);
    return c.json(await viewOf(c, app, workspace), 200);
  })
  .openapi(create, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { ws } = c.req.valid('param');
    const body = c.req.valid('json');
    Object.assign(c.get('audit'), {
      resource: 'apps',
      name: body.name,
      workspace: ws,
      namespace: body.namespace,
    });
    const { workspace } = await visibleWorkspace(db, principal, ws);
    const valid = await validateApp(c, workspace, body);
    const clusterIds = valid.clusters.map((cl) => cl.id);
    await authorizeApp(db, principal, 'create', workspace, body.namespace, clusterIds);
    if (await findApp(db, workspace.id, body.name))
      throw conflict(`App "${body.name}" already exists in workspace "${ws}".`);
    await claimNamespace(c, workspace, body.namespace, valid.clusters);
    const now = new Date();
    const app = await insertApp(db, {
      workspaceId: workspace.id,
      name: body.name,
      namespace: body.namespace,
      generation: 1,
      spec: valid.spec,
      manifests: await sealManifests(c.env.SECRETS_KEY, valid.manifests),
      ...editor(c),
      deleteTimeoutSeconds: body.deleteTimeoutSeconds,
      createdBy: principal.username,
      updatedAt: now,
    });
    if (!app) throw conflict(`App "${body.name}" already exists in workspace "${ws}".`);
    await placeApp(db, app, clusterIds, now);
    // Admission (all clusters, or the first rollout step) pushes to the admitted clusters.
    await pushRemote(deliveryPush(c.env), await advanceApps(db, [app.id], now));
    return c.json(await viewOf(c, app, workspace), 201);
  })
  .openapi(replace, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { ws, app: name } = c.req.valid('param');
    const body = c.req.valid('json');
    Object.assign(c.get('audit'), {
      resource: 'apps',
      name,
      workspace: ws,
      namespace: body.namespace,
    });
    const { workspace, app } = await readableApp(c, ws, name);
    if (app.deletingAt) throw conflict(`App "${name}" is being deleted.`);
    if (body.name !== undefined && body.name !== name)
      throw badRequest('name cannot change.', [{ path: 'name', message: `must be "${name}"` }]);
    if (body.namespace !== app.namespace)
      throw badRequest('namespace cannot change: delete the app and create it again.', [
        { path: 'namespace', message: `must be "${app.namespace}"` },
      ]);
    const before = await appClusterRows(db, [app.id]);
    const valid = await validateApp(c, workspace, body, app.manifests as unknown[]);
    const clusterIds = valid.clusters.map((cl) => cl.id);
    const touched = [
      ...new Set([...before.filter((r) => !r.removing).map((r) => r.clusterId), ...clusterIds]),
    ];
    await authorizeApp(db, principal, 'update', workspace, app.namespace, touched);
    await claimNamespace(c, workspace, app.namespace, valid.clusters);
    const now = new Date();
    const updated = await replaceApp(
      db,
      app.id,
      app.generation,
      {
        spec: valid.spec,
        manifests: await sealManifests(c.env.SECRETS_KEY, valid.manifests),
        ...editor(c),
        deleteTimeoutSeconds: body.deleteTimeoutSeconds,
      },
      now,
    );
    if (!updated) throw conflict(`App "${name}" changed meanwhile; read it again and retry.`);
    await placeApp(db, updated, clusterIds, now);
    await pushRemote(deliveryPush(c.env), await advanceApps(db, [app.id], now));
    // Clusters left out of the placement owe a delete now.
    const removed = before.filter((r) => !clusterIds.includes(r.clusterId)).map((r) => r.clusterId);
    await pushTo(c, removed, app.id);
    return c.json(await viewOf(c, updated, workspace), 200);
  })
  .openapi(remove, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { ws, app: name } = c.req.valid('param');
    Object.assign(c.get('audit'), { resource: 'apps', name, workspace: ws });
    const { workspace, app } = await readableApp(c, ws, name);
    const rows = await appClusterRows(db, [app.id]);
    await authorizeApp(
      db,
      principal,
      'delete',
      workspace,
      app.namespace,
      rows.map((r) => r.clusterId),
    );
    const now = new Date();
    if (c.req.valid('query').force === 'true') {
      const mayKeepObjects = await forgetApp(db, app);
      const gone = { ...app, deletingAt: now };
      return c.json(appView(gone, workspace.name, [], now, { mayKeepObjects }), 200);
    }
    if (!app.deletingAt) await markAppDeleting(db, app, now);
    await pushTo(
      c,
      rows.map((r) => r.clusterId),
      app.id,
    );
    await collectDeleted(db, now, [app.id]);
    // No cluster owed a confirmation: the app is gone already (a later GET says 404).
    const current = (await findApp(db, workspace.id, name)) ?? { ...app, deletingAt: now };
    return c.json(await viewOf(c, current, workspace), 202);
  });

/** The PushDelivery of the worker: the cluster's tunnel, by id. */
const deliveryPush =
  (env: Env): PushDelivery =>
  (clusterId, appIds, relay) =>
    env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(clusterId)).pushDelivery(appIds, relay);
