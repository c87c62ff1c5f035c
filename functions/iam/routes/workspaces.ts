import { createRoute, z } from '@hono/zod-openapi';
import { findUserByName } from '../../../db/queries/users';
import {
  createWorkspace,
  deleteWorkspace,
  listWorkspaces,
  updateWorkspace,
  type WorkspaceRow,
} from '../../../db/queries/workspaces';
import { badRequest } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, can, platformScope } from '../authorize';
import { orConflict } from '../conflicts';
import { dnsLabel, newName } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import {
  description,
  errors,
  json,
  jsonBody,
  noContent,
  workspaceSchema,
  writeErrors,
  wsParam,
} from '../schemas';
import { visibleWorkspace } from '../scopes';

const tags = ['workspaces'];

export const workspaceView = (w: WorkspaceRow) => ({
  name: w.name,
  description: w.description,
  createdBy: w.createdBy,
  createdAt: w.createdAt.toISOString(),
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
        name: newName,
        description: description.optional(),
        admin: dnsLabel
          .optional()
          .openapi({ description: 'A user to make workspace-admin of the new workspace.' }),
      }),
    ),
  },
  responses: { 201: json(workspaceSchema, 'The new workspace.'), ...writeErrors },
});

const update = createRoute({
  method: 'put',
  path: '/workspaces/{ws}',
  tags,
  security: bearerAuth,
  summary: 'Update a workspace',
  request: {
    params: wsParam,
    body: jsonBody(z.strictObject({ description: description.nullable().optional() })),
  },
  responses: { 200: json(workspaceSchema, 'The updated workspace.'), ...writeErrors },
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

export const workspaceRoutes = createRouter()
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const page = toPage(c.req.valid('query'));
    const visible = can(principal, 'list', 'workspaces', platformScope)
      ? undefined
      : principal.userId;
    const rows = await listWorkspaces(db, page, visible);
    return c.json(
      pageOf(rows, page, (w) => w.name, workspaceView),
      200,
    );
  })
  .openapi(get, async (c) => {
    const { ws } = c.req.valid('param');
    const { workspace } = await visibleWorkspace(c.get('db'), c.get('principal'), ws);
    return c.json(workspaceView(workspace), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    c.get('audit').workspace = input.name;
    authorize(principal, 'create', 'workspaces', platformScope, 'Workspace');
    let admin: { userId: string } | undefined;
    if (input.admin !== undefined) {
      const user = await findUserByName(db, input.admin);
      if (!user)
        throw badRequest(`No user "${input.admin}".`, [{ path: 'admin', message: 'no such user' }]);
      admin = { userId: user.id };
    }
    const row = await orConflict(
      createWorkspace(
        db,
        { name: input.name, description: input.description ?? null, createdBy: principal.username },
        admin,
      ),
      `Workspace "${input.name}" already exists.`,
    );
    return c.json(workspaceView(row), 201);
  })
  .openapi(update, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { ws } = c.req.valid('param');
    const { workspace, scope } = await visibleWorkspace(db, principal, ws);
    authorize(principal, 'update', 'workspaces', scope, `Workspace "${ws}"`);
    const row = await updateWorkspace(db, workspace.id, c.req.valid('json'));
    return c.json(workspaceView(row), 200);
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
