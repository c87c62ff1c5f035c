import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { findUserByName } from '../../../db/queries/users';
import {
  changeGrants,
  grantedClusterNames,
  grantedClusters,
} from '../../../db/queries/workspace-clusters';
import {
  createWorkspace,
  deleteWorkspace,
  listWorkspaces,
  updateWorkspace,
  type WorkspaceRow,
} from '../../../db/queries/workspaces';
import type { AppEnv } from '../../env';
import { badRequest } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, can, platformScope } from '../authorize';
import { auditGrants, planGrants } from '../cluster-grants';
import { orConflict } from '../conflicts';
import { assertTenantName, dnsLabel, tenantName } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import {
  description,
  errors,
  json,
  jsonBody,
  noContent,
  workspaceSchema,
  workspaceUpdateSchema,
  writeErrors,
  wsParam,
} from '../schemas';
import { visibleWorkspace } from '../scopes';

const tags = ['workspaces'];

export const workspaceView = (w: WorkspaceRow, clusters: string[]) => ({
  name: w.name,
  description: w.description,
  clusters,
  createdBy: w.createdBy,
  createdAt: w.createdAt.toISOString(),
});

const clusterNames = z.array(dnsLabel).max(100).openapi({
  description:
    'Clusters granted to the workspace, by name: the full set. Granting or revoking one takes rights over that cluster (platform-admin or its cluster-admin).',
});

const list = createRoute({
  method: 'get',
  path: '/workspaces',
  tags,
  security: bearerAuth,
  summary: 'List the workspaces the caller may see',
  request: { query: pageQuery },
  responses: { 200: json(listOf(workspaceSchema), 'One page of workspaces by name.'), ...errors },
});

const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}',
  tags,
  security: bearerAuth,
  summary: 'Get a workspace',
  request: { params: wsParam },
  responses: { 200: json(workspaceSchema, 'The workspace.'), ...errors },
});

const create = createRoute({
  method: 'post',
  path: '/workspaces',
  tags,
  security: bearerAuth,
  summary: 'Create a workspace (platform-admin, workspaces-manager)',
  request: {
    body: jsonBody(
      z.strictObject({
        name: tenantName,
        description: description.optional(),
        admin: dnsLabel
          .optional()
          .openapi({ description: 'A user to make workspace-admin of the new workspace.' }),
        clusters: clusterNames.optional(),
      }),
    ),
  },
  responses: { 201: json(workspaceSchema, 'The new workspace.'), ...writeErrors },
});

const updateBody = jsonBody(
  z.strictObject({
    description: description.nullable().optional(),
    clusters: clusterNames.optional(),
  }),
);
const updateResponses = {
  200: json(workspaceUpdateSchema, 'The updated workspace, with the placements revoking unplaced.'),
  ...writeErrors,
};
const update = createRoute({
  method: 'put',
  path: '/workspaces/{ws}',
  tags,
  security: bearerAuth,
  summary: "Update a workspace's description and granted clusters",
  request: { params: wsParam, body: updateBody },
  responses: updateResponses,
});
const patch = createRoute({
  method: 'patch',
  path: '/workspaces/{ws}',
  tags,
  security: bearerAuth,
  summary: "Update a workspace's description and granted clusters (same as PUT)",
  description:
    "Revoking a cluster removes the workspace's placements there (and the roles at them) but leaves the namespaces in the cluster; they are listed in `unplaced`.",
  request: { params: wsParam, body: updateBody },
  responses: updateResponses,
});

const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}',
  tags,
  security: bearerAuth,
  summary: 'Delete a workspace with its groups, roles, namespace placements and bindings',
  request: { params: wsParam },
  responses: { ...noContent, ...errors },
});

async function updateHandler(c: Context<AppEnv>, ws: string, input: UpdateInput) {
  const principal = c.get('principal');
  const db = c.get('db');
  const { workspace, scope } = await visibleWorkspace(db, principal, ws);
  authorize(principal, 'update', 'workspaces', scope, `Workspace "${ws}"`);
  const plan =
    input.clusters === undefined
      ? { add: [], remove: [] }
      : await planGrants(db, principal, workspace.id, input.clusters);
  const row = await updateWorkspace(db, workspace.id, { description: input.description });
  const unplaced = await changeGrants(
    db,
    workspace.id,
    { add: plan.add.map((cl) => cl.id), remove: plan.remove.map((cl) => cl.id) },
    principal.username,
  );
  await auditGrants(c, workspace.name, plan);
  const clusters = (await grantedClusters(db, workspace.id)).map((cl) => cl.name);
  return { ...workspaceView(row, clusters), unplaced };
}

type UpdateInput = { description?: string | null | undefined; clusters?: string[] | undefined };

export const workspaceRoutes = createRouter()
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const page = toPage(c.req.valid('query'));
    const visible = can(principal, 'list', 'workspaces', platformScope)
      ? undefined
      : principal.userId;
    const rows = await listWorkspaces(db, page, visible);
    const clusters = await grantedClusterNames(
      db,
      rows.slice(0, page.limit).map((w) => w.id),
    );
    return c.json(
      pageOf(
        rows,
        page,
        (w) => w.name,
        (w) => workspaceView(w, clusters.get(w.id) ?? []),
      ),
      200,
    );
  })
  .openapi(get, async (c) => {
    const { ws } = c.req.valid('param');
    const db = c.get('db');
    const { workspace } = await visibleWorkspace(db, c.get('principal'), ws);
    const clusters = (await grantedClusters(db, workspace.id)).map((cl) => cl.name);
    return c.json(workspaceView(workspace, clusters), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    c.get('audit').workspace = input.name;
    authorize(principal, 'create', 'workspaces', platformScope, 'Workspace');
    assertTenantName(input.name);
    let admin: { userId: string } | undefined;
    if (input.admin !== undefined) {
      const user = await findUserByName(db, input.admin);
      if (!user)
        throw badRequest(`No user "${input.admin}".`, [{ path: 'admin', message: 'no such user' }]);
      admin = { userId: user.id };
    }
    const plan = await planGrants(db, principal, undefined, input.clusters ?? []);
    const row = await orConflict(
      createWorkspace(
        db,
        { name: input.name, description: input.description ?? null, createdBy: principal.username },
        admin,
        plan.add.map((cl) => cl.id),
      ),
      `Workspace "${input.name}" already exists.`,
    );
    await auditGrants(c, row.name, plan);
    return c.json(workspaceView(row, plan.add.map((cl) => cl.name).sort()), 201);
  })
  .openapi(update, async (c) => {
    const { ws } = c.req.valid('param');
    return c.json(await updateHandler(c, ws, c.req.valid('json')), 200);
  })
  .openapi(patch, async (c) => {
    const { ws } = c.req.valid('param');
    return c.json(await updateHandler(c, ws, c.req.valid('json')), 200);
  })
  .openapi(remove, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { ws } = c.req.valid('param');
    const { workspace, scope } = await visibleWorkspace(db, principal, ws);
    authorize(principal, 'delete', 'workspaces', scope, `Workspace "${ws}"`);
    await deleteWorkspace(db, workspace.id);
    return c.body(null, 204);
  });
