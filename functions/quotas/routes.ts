import { createRoute } from '@hono/zod-openapi';
import { clustersOfWorkspace, putQuota } from '../../db/queries/quotas';
import { tunnelOf } from '../clusters/tunnel-stub';
import { authorize } from '../iam/authorize';
import { errors, json, jsonBody, writeErrors, wsParam } from '../iam/schemas';
import { visibleWorkspace } from '../iam/scopes';
import { bearerAuth, createRouter } from '../openapi';
import { putQuotaBody, putQuotaResult, quotaSchema } from './schemas';
import { quotaView } from './view';

const tags = ['quotas'];

const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/quota',
  tags,
  security: bearerAuth,
  summary: "A workspace's quota: hard caps, and what it uses per cluster and in total",
  request: { params: wsParam },
  responses: { 200: json(quotaSchema, 'The quota (hard is empty when none is set).'), ...errors },
});

const put = createRoute({
  method: 'put',
  path: '/workspaces/{ws}/quota',
  tags,
  security: bearerAuth,
  summary: "Set a workspace's quota and push it to every cluster the workspace spans",
  request: { params: wsParam, body: jsonBody(putQuotaBody) },
  responses: { 200: json(putQuotaResult, 'The quota as stored.'), ...writeErrors },
});

export const quotaRoutes = createRouter()
  .openapi(get, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { ws } = c.req.valid('param');
    const { workspace, scope } = await visibleWorkspace(db, principal, ws);
    authorize(principal, 'get', 'quotas', scope, `Workspace "${ws}"`);
    return c.json(await quotaView(db, workspace), 200);
  })
  .openapi(put, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const { ws } = c.req.valid('param');
    Object.assign(c.get('audit'), { resource: 'quotas', name: ws, workspace: ws });
    const { workspace, scope } = await visibleWorkspace(db, principal, ws);
    authorize(principal, 'update', 'quotas', scope, `Workspace "${ws}"`);
    const { hard } = c.req.valid('json');
    await putQuota(db, {
      workspaceId: workspace.id,
      hard,
      updatedBy: principal.username,
      now: new Date(),
    });
    // D1 is the record: a cluster that cannot be reached now gets the quota on its agents' next HELLO.
    const clusters = await clustersOfWorkspace(db, workspace.id);
    const pushed = await Promise.allSettled(
      clusters.map((cluster) => tunnelOf(c.env, cluster.id).pushQuotas()),
    );
    const distributed = clusters.map((cluster, i) => {
      const outcome = pushed[i];
      return { cluster: cluster.name, agents: outcome?.status === 'fulfilled' ? outcome.value : 0 };
    });
    return c.json({ ...(await quotaView(db, workspace)), distributed }, 200);
  });
