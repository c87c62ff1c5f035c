import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  addGroupMember,
  createGroup,
  deleteGroup,
  findGroup,
  type GroupWithRole,
  listGroupMembers,
  listGroups,
  removeGroupMember,
  updateGroup,
} from '../../../db/queries/groups';
import { findCustomRole } from '../../../db/queries/roles';
import { findUserByName } from '../../../db/queries/users';
import type { AppEnv } from '../../env';
import { badRequest, forbidden, notFound } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, canGrant, type Scope } from '../authorize';
import { builtinRoleRules } from '../builtin-roles';
import { orConflict } from '../conflicts';
import { assertTenantName, dnsLabel, tenantName } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import {
  description,
  errors,
  groupSchema,
  json,
  jsonBody,
  noContent,
  timestamp,
  writeErrors,
  wsParam,
} from '../schemas';
import { visibleWorkspace } from '../scopes';

const tags = ['groups'];
const groupParams = wsParam.extend({ group: dnsLabel });
const groupMemberParams = groupParams.extend({ user: dnsLabel });
const role = z.string().min(1).max(63);
const groupMemberSchema = z
  .object({ user: z.string(), createdAt: timestamp })
  .openapi('GroupMember');

const groupView = (g: GroupWithRole) => ({
  name: g.name,
  description: g.description,
  role: g.role,
  createdAt: g.createdAt.toISOString(),
});

/**
 * A group's workspace role must exist and be grantable by the caller; so
 * must the role of a group someone is added to (joining a group grants it).
 */
async function assertGrantable(
  c: Context<AppEnv>,
  workspaceId: string,
  scope: Scope,
  name: string,
) {
  const rules =
    builtinRoleRules('workspace', name) ??
    (await findCustomRole(c.get('db'), workspaceId, name))?.rules;
  if (!rules)
    throw badRequest(`No role "${name}" here.`, [{ path: 'role', message: 'unknown role' }]);
  if (!canGrant(c.get('principal'), rules, scope))
    throw forbidden(`You may not grant ${name}: it allows more than you may do.`);
}

async function resolveGroup(c: Context<AppEnv>, verb: string) {
  const db = c.get('db');
  const principal = c.get('principal');
  const { workspace, scope } = await visibleWorkspace(db, principal, c.req.param('ws') ?? '');
  const name = c.req.param('group') ?? '';
  authorize(principal, verb, 'groups', scope, `Group "${name}"`);
  const group = await findGroup(db, workspace.id, name);
  if (!group) throw notFound(`Group "${name}"`);
  return { workspace, scope, group };
}

const list = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/groups',
  tags,
  security: bearerAuth,
  summary: "List a workspace's user groups",
  request: { params: wsParam, query: pageQuery },
  responses: { 200: json(listOf(groupSchema), 'One page of groups by name.'), ...errors },
});
const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/groups/{group}',
  tags,
  security: bearerAuth,
  summary: 'Get a group',
  request: { params: groupParams },
  responses: { 200: json(groupSchema, 'The group.'), ...errors },
});
const create = createRoute({
  method: 'post',
  path: '/workspaces/{ws}/groups',
  tags,
  security: bearerAuth,
  summary: 'Create a group, optionally bound to a workspace role its members inherit',
  request: {
    params: wsParam,
    body: jsonBody(
      z.strictObject({
        name: tenantName,
        description: description.optional(),
        role: role.optional(),
      }),
    ),
  },
  responses: { 201: json(groupSchema, 'The new group.'), ...writeErrors },
});
const update = createRoute({
  method: 'put',
  path: '/workspaces/{ws}/groups/{group}',
  tags,
  security: bearerAuth,
  summary: "Change a group's description or workspace role (null unbinds)",
  request: {
    params: groupParams,
    body: jsonBody(
      z.strictObject({
        description: description.nullable().optional(),
        role: role.nullable().optional(),
      }),
    ),
  },
  responses: { 200: json(groupSchema, 'The group.'), ...writeErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}/groups/{group}',
  tags,
  security: bearerAuth,
  summary: 'Delete a group with its memberships and role bindings',
  request: { params: groupParams },
  responses: { ...noContent, ...errors },
});
const listMembers = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/groups/{group}/members',
  tags,
  security: bearerAuth,
  summary: "List a group's members",
  request: { params: groupParams, query: pageQuery },
  responses: { 200: json(listOf(groupMemberSchema), 'One page of members by name.'), ...errors },
});
const addMember = createRoute({
  method: 'post',
  path: '/workspaces/{ws}/groups/{group}/members',
  tags,
  security: bearerAuth,
  summary: 'Add a user to a group',
  request: { params: groupParams, body: jsonBody(z.strictObject({ user: dnsLabel })) },
  responses: { 201: json(groupMemberSchema, 'The membership.'), ...writeErrors },
});
const removeMember = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}/groups/{group}/members/{user}',
  tags,
  security: bearerAuth,
  summary: 'Remove a user from a group',
  request: { params: groupMemberParams },
  responses: { ...noContent, ...errors },
});

export const groupRoutes = createRouter()
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    authorize(principal, 'list', 'groups', scope, 'Groups');
    const page = toPage(c.req.valid('query'));
    const rows = await listGroups(db, workspace.id, page);
    return c.json(
      pageOf(rows, page, (g) => g.name, groupView),
      200,
    );
  })
  .openapi(get, async (c) => {
    const { group } = await resolveGroup(c, 'get');
    return c.json(groupView(group), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    authorize(principal, 'create', 'groups', scope, 'Groups');
    assertTenantName(input.name);
    if (input.role !== undefined) await assertGrantable(c, workspace.id, scope, input.role);
    const group = await orConflict(
      createGroup(db, {
        workspaceId: workspace.id,
        name: input.name,
        description: input.description ?? null,
        role: input.role,
        createdBy: principal.username,
      }),
      `Group "${input.name}" already exists in this workspace.`,
    );
    return c.json(groupView(group), 201);
  })
  .openapi(update, async (c) => {
    const input = c.req.valid('json');
    const { workspace, scope, group } = await resolveGroup(c, 'update');
    if (input.role) await assertGrantable(c, workspace.id, scope, input.role);
    const db = c.get('db');
    await updateGroup(db, group, input, c.get('principal').username);
    return c.json(groupView((await findGroup(db, workspace.id, group.name))!), 200);
  })
  .openapi(remove, async (c) => {
    const { group } = await resolveGroup(c, 'delete');
    await deleteGroup(c.get('db'), group.id);
    return c.body(null, 204);
  })
  .openapi(listMembers, async (c) => {
    const { group } = await resolveGroup(c, 'list');
    const page = toPage(c.req.valid('query'));
    const rows = await listGroupMembers(c.get('db'), group.id, page);
    return c.json(
      pageOf(
        rows,
        page,
        (m) => m.user,
        (m) => ({ user: m.user, createdAt: m.createdAt.toISOString() }),
      ),
      200,
    );
  })
  .openapi(addMember, async (c) => {
    const input = c.req.valid('json');
    c.get('audit').name = input.user;
    const { workspace, scope, group } = await resolveGroup(c, 'update');
    if (group.role) await assertGrantable(c, workspace.id, scope, group.role);
    const db = c.get('db');
    const user = await findUserByName(db, input.user);
    if (!user)
      throw badRequest(`No user "${input.user}".`, [{ path: 'user', message: 'no such user' }]);
    await orConflict(
      addGroupMember(db, group.id, user.id),
      `"${input.user}" is already in group "${group.name}".`,
    );
    return c.json({ user: user.name, createdAt: new Date().toISOString() }, 201);
  })
  .openapi(removeMember, async (c) => {
    const { group } = await resolveGroup(c, 'update');
    const userName = c.req.valid('param').user;
    const user = await findUserByName(c.get('db'), userName);
    if (!user || !(await removeGroupMember(c.get('db'), group.id, user.id)))
      throw notFound(`Member "${userName}"`);
    return c.body(null, 204);
  });
