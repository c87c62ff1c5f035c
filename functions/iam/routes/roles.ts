import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { builtinPlatformRoles, builtinScopedRoles } from '../../../db/builtin-roles';
import { countRoleUses } from '../../../db/queries/members';
import {
  createCustomRole,
  deleteCustomRole,
  findCustomRole,
  listCustomRoles,
  type RoleRow,
  updateCustomRole,
} from '../../../db/queries/roles';
import type { PolicyRule } from '../../../db/schema/roles';
import { platformRoles } from '../../../db/schema/users';
import type { AppEnv } from '../../env';
import { conflict, forbidden, notFound } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, canGrant, platformScope, type Scope } from '../authorize';
import { orConflict } from '../conflicts';
import { newName } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import {
  description,
  errors,
  json,
  jsonBody,
  noContent,
  roleSchema,
  ruleSchema,
  writeErrors,
  wsParam,
} from '../schemas';
import { visibleWorkspace } from '../scopes';

const tags = ['roles'];
const roleParams = wsParam.extend({ role: z.string().min(1).max(63) });
const rules = z.array(ruleSchema).min(1).max(32);

type RoleView = z.infer<typeof roleSchema>;

const builtinView = (name: string, rules: PolicyRule[]): RoleView => ({
  name,
  description: null,
  builtin: true,
  rules,
  createdAt: null,
});
const customView = (r: RoleRow): RoleView => ({
  name: r.name,
  description: r.description,
  builtin: false,
  rules: r.rules,
  createdAt: r.createdAt.toISOString(),
});

const builtinWorkspaceRoles = Object.entries(builtinScopedRoles.workspace)
  .map(([name, rules]) => builtinView(name, rules))
  .sort((a, b) => a.name.localeCompare(b.name));
const isBuiltinWorkspaceRole = (name: string) => Object.hasOwn(builtinScopedRoles.workspace, name);

/** Creating or changing a role needs every right its rules grant (no escalation). */
function assertGrantable(c: Context<AppEnv>, scope: Scope, ruleSet: PolicyRule[]) {
  if (!canGrant(c.get('principal'), ruleSet, scope))
    throw forbidden('A role may not allow more than you may do yourself.');
}

async function resolveCustomRole(c: Context<AppEnv>, verb: string) {
  const db = c.get('db');
  const principal = c.get('principal');
  const { workspace, scope } = await visibleWorkspace(db, principal, c.req.param('ws') ?? '');
  const name = c.req.param('role') ?? '';
  authorize(principal, verb, 'roles', scope, `Role "${name}"`);
  if (isBuiltinWorkspaceRole(name)) throw forbidden(`Built-in role ${name} is read-only.`);
  const role = await findCustomRole(db, workspace.id, name);
  if (!role) throw notFound(`Role "${name}"`);
  return { workspace, scope, role };
}

const listPlatform = createRoute({
  method: 'get',
  path: '/roles',
  tags,
  security: bearerAuth,
  summary: 'The built-in platform roles',
  responses: { 200: json(listOf(roleSchema), 'All platform roles.'), ...errors },
});
const list = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/roles',
  tags,
  security: bearerAuth,
  summary: "A workspace's roles: the built-in ones and its custom roles",
  request: { params: wsParam, query: pageQuery },
  responses: { 200: json(listOf(roleSchema), 'One page of roles by name.'), ...errors },
});
const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/roles/{role}',
  tags,
  security: bearerAuth,
  summary: 'Get a workspace role',
  request: { params: roleParams },
  responses: { 200: json(roleSchema, 'The role.'), ...errors },
});
const create = createRoute({
  method: 'post',
  path: '/workspaces/{ws}/roles',
  tags,
  security: bearerAuth,
  summary: 'Create a custom workspace role (rules of verbs x resources)',
  request: {
    params: wsParam,
    body: jsonBody(
      z.strictObject({
        name: newName.refine((n) => !isBuiltinWorkspaceRole(n), 'a built-in role has this name'),
        description: description.optional(),
        rules,
      }),
    ),
  },
  responses: { 201: json(roleSchema, 'The new role.'), ...writeErrors },
});
const update = createRoute({
  method: 'put',
  path: '/workspaces/{ws}/roles/{role}',
  tags,
  security: bearerAuth,
  summary: 'Change a custom role',
  request: {
    params: roleParams,
    body: jsonBody(
      z.strictObject({ description: description.nullable().optional(), rules: rules.optional() }),
    ),
  },
  responses: { 200: json(roleSchema, 'The role.'), ...writeErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}/roles/{role}',
  tags,
  security: bearerAuth,
  summary: 'Delete a custom role that is no longer bound',
  request: { params: roleParams },
  responses: { ...noContent, ...errors, 409: writeErrors[409] },
});

export const roleRoutes = createRouter()
  .openapi(listPlatform, (c) => {
    authorize(c.get('principal'), 'list', 'roles', platformScope, 'Roles');
    return c.json(
      { items: platformRoles.map((r) => builtinView(r, builtinPlatformRoles[r])) },
      200,
    );
  })
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    authorize(principal, 'list', 'roles', scope, 'Roles');
    const page = toPage(c.req.valid('query'));
    // Built-ins and custom roles interleave by name: merge, then cut the page.
    const custom = (await listCustomRoles(db, workspace.id, page)).map(customView);
    const builtins = builtinWorkspaceRoles.filter(
      (r) => page.after === undefined || r.name > page.after,
    );
    const merged = [...builtins, ...custom].sort((a, b) => (a.name < b.name ? -1 : 1));
    return c.json(
      pageOf(
        merged.slice(0, page.limit + 1),
        page,
        (r) => r.name,
        (r) => r,
      ),
      200,
    );
  })
  .openapi(get, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { ws, role } = c.req.valid('param');
    const { workspace, scope } = await visibleWorkspace(db, principal, ws);
    authorize(principal, 'get', 'roles', scope, `Role "${role}"`);
    const builtin = builtinScopedRoles.workspace[role];
    if (isBuiltinWorkspaceRole(role) && builtin) return c.json(builtinView(role, builtin), 200);
    const row = await findCustomRole(db, workspace.id, role);
    if (!row) throw notFound(`Role "${role}"`);
    return c.json(customView(row), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    authorize(principal, 'create', 'roles', scope, 'Roles');
    assertGrantable(c, scope, input.rules);
    const row = await orConflict(
      createCustomRole(db, {
        workspaceId: workspace.id,
        name: input.name,
        description: input.description ?? null,
        rules: input.rules,
        createdBy: principal.username,
      }),
      `Role "${input.name}" already exists in this workspace.`,
    );
    return c.json(customView(row), 201);
  })
  .openapi(update, async (c) => {
    const input = c.req.valid('json');
    const { scope, role } = await resolveCustomRole(c, 'update');
    // Both the old and the new rules: narrowing a role others hold is also a grant decision.
    assertGrantable(c, scope, role.rules);
    if (input.rules) assertGrantable(c, scope, input.rules);
    const row = await updateCustomRole(c.get('db'), role.id, input);
    return c.json(customView(row), 200);
  })
  .openapi(remove, async (c) => {
    const { workspace, role } = await resolveCustomRole(c, 'delete');
    const db = c.get('db');
    const uses = await countRoleUses(
      db,
      { scopeType: 'workspace', scopeId: workspace.id },
      role.name,
    );
    if (uses > 0)
      throw conflict(`Role "${role.name}" is still bound ${uses} time(s); unbind it first.`);
    await deleteCustomRole(db, role.id);
    return c.body(null, 204);
  });
