import { createRoute, z } from '@hono/zod-openapi';
import type { Database } from '../../../db/client';
import {
  countActivePlatformAdmins,
  deleteUser,
  listUsers,
  updateUserProfile,
} from '../../../db/queries/user-admin';
import type { UserRow } from '../../../db/queries/users';
import { createUser, findUserByName, publicUser, setUserPassword } from '../../../db/queries/users';
import { platformRoles } from '../../../db/schema/users';
import { canonicalLoginName } from '../../auth/login-name';
import { assertPasswordPolicy } from '../../auth/password';
import type { Principal } from '../../auth/principal';
import { badRequest, conflict, forbidden, notFound } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, can, canGrant, platformScope } from '../authorize';
import { builtinPlatformRoles } from '../builtin-roles';
import { dnsLabel, newName } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import { errors, json, jsonBody, noContent, userSchema, writeErrors } from '../schemas';
import { canSelf, checkCurrentPassword } from './self-service';

const tags = ['users'];
const nameParam = z.object({ name: dnsLabel });
const password = z.string().min(1).max(256);
const email = z.email().max(254);
const displayName = z.string().max(128);

/** The API's view of a user: never the hash nor lockout counters. */
export function userView(row: UserRow) {
  const u = publicUser(row);
  return {
    ...u,
    lastLoginAt: u.lastLoginAt?.toISOString() ?? null,
    createdAt: u.createdAt.toISOString(),
  };
}

/**
 * Users are platform resources; anyone may `verb` themselves (as far as an
 * API token's scopes allow), managers everyone.
 */
async function visibleUser(
  principal: Principal,
  name: string,
  db: Parameters<typeof findUserByName>[0],
  verb: 'get' | 'update' = 'get',
) {
  const self = principal.username === name;
  if (self && !canSelf(principal, verb))
    throw forbidden(`This API token's scopes do not allow ${verb} on users.`);
  if (!self && !can(principal, 'get', 'users', platformScope)) throw notFound(`User "${name}"`);
  const row = await findUserByName(db, name);
  if (!row) throw notFound(`User "${name}"`);
  return { row, self };
}

/** The platform always keeps one active platform admin (the bootstrap never runs again). */
async function assertNotLastAdmin(db: Database, row: UserRow) {
  if (row.platformRole === 'platform-admin' && row.status === 'active')
    if ((await countActivePlatformAdmins(db)) <= 1)
      throw conflict(`"${row.name}" is the last active platform admin.`);
}

/** Setting a platform role needs every right that role grants (no escalation). */
function assertMayGrantPlatformRole(principal: Principal, role: (typeof platformRoles)[number]) {
  if (!canGrant(principal, builtinPlatformRoles[role], platformScope))
    throw forbidden(`You may not grant the platform role ${role}.`);
}

const list = createRoute({
  method: 'get',
  path: '/users',
  tags,
  security: bearerAuth,
  summary: 'List users (managers see all, others only themselves)',
  request: { query: pageQuery },
  responses: { 200: json(listOf(userSchema), 'One page of users by name.'), ...errors },
});

const get = createRoute({
  method: 'get',
  path: '/users/{name}',
  tags,
  security: bearerAuth,
  summary: 'Get a user',
  request: { params: nameParam },
  responses: { 200: json(userSchema, 'The user.'), ...errors },
});

const create = createRoute({
  method: 'post',
  path: '/users',
  tags,
  security: bearerAuth,
  summary: 'Create a user (platform-admin, users-manager)',
  request: {
    body: jsonBody(
      z.strictObject({
        name: newName,
        password,
        email: email.optional(),
        displayName: displayName.optional(),
        platformRole: z.enum(platformRoles).optional(),
      }),
    ),
  },
  responses: { 201: json(userSchema, 'The new user.'), ...writeErrors },
});

const update = createRoute({
  method: 'put',
  path: '/users/{name}',
  tags,
  security: bearerAuth,
  summary:
    'Update a user (yourself: profile, and password with currentPassword; managers: also role and status, and others’ passwords)',
  request: {
    params: nameParam,
    body: jsonBody(
      z.strictObject({
        password: password.optional(),
        /** Needed to change your own password (not to reset someone else's as a manager). */
        currentPassword: password.optional(),
        email: email.nullable().optional(),
        displayName: displayName.nullable().optional(),
        platformRole: z.enum(platformRoles).optional(),
        status: z.enum(['active', 'disabled']).optional(),
      }),
    ),
  },
  responses: { 200: json(userSchema, 'The updated user.'), ...writeErrors },
});

const remove = createRoute({
  method: 'delete',
  path: '/users/{name}',
  tags,
  security: bearerAuth,
  summary: 'Delete a user and their role bindings',
  request: { params: nameParam },
  responses: { ...noContent, ...errors, 409: writeErrors[409] },
});

export const userRoutes = createRouter()
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const page = toPage(c.req.valid('query'));
    if (!can(principal, 'list', 'users', platformScope)) {
      if (!canSelf(principal, 'list'))
        throw forbidden("This API token's scopes do not allow list on users.");
      const self = await findUserByName(db, principal.username);
      const items =
        self && (page.after === undefined || self.name > page.after) ? [userView(self)] : [];
      return c.json({ items }, 200);
    }
    return c.json(
      pageOf(await listUsers(db, page), page, (u) => u.name, userView),
      200,
    );
  })
  .openapi(get, async (c) => {
    const { row } = await visibleUser(c.get('principal'), c.req.valid('param').name, c.get('db'));
    return c.json(userView(row), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const input = c.req.valid('json');
    c.get('audit').name = input.name;
    authorize(principal, 'create', 'users', platformScope, 'User');
    if (input.platformRole) assertMayGrantPlatformRole(principal, input.platformRole);
    assertPasswordPolicy(input.name, input.password);
    const db = c.get('db');
    const created = await createUser(db, input);
    const row = await findUserByName(db, created.name);
    return c.json(userView(row!), 201);
  })
  .openapi(update, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { name } = c.req.valid('param');
    const input = c.req.valid('json');
    const { row, self } = await visibleUser(principal, name, db, 'update');
    const manager = can(principal, 'update', 'users', platformScope);
    if (!self) {
      if (!manager) throw forbidden('You may only change your own profile and password.');
      // Resetting the password of someone with more rights would be an escalation.
      assertMayGrantPlatformRole(principal, row.platformRole);
    } else if (!manager && (input.platformRole !== undefined || input.status !== undefined)) {
      throw forbidden('You may only change your own profile and password.');
    }
    if (input.platformRole) assertMayGrantPlatformRole(principal, input.platformRole);
    const demoted = input.platformRole !== undefined && input.platformRole !== 'platform-admin';
    if (demoted || input.status === 'disabled') await assertNotLastAdmin(db, row);
    if (input.currentPassword !== undefined && input.password === undefined)
      throw badRequest('currentPassword goes with password.', [
        { path: 'currentPassword', message: 'only with password' },
      ]);
    if (input.password !== undefined) assertPasswordPolicy(name, input.password);
    // Your own password, whoever you are: prove the current one (a session
    // or token alone is not enough). Managers reset others' without it.
    if (self && input.password !== undefined)
      await checkCurrentPassword(c, row, input.currentPassword);
    const { password: newPassword, currentPassword: _, ...profile } = input;
    if (newPassword !== undefined)
      await setUserPassword(db, row.id, newPassword, canonicalLoginName(row.name));
    return c.json(userView(await updateUserProfile(db, row.id, profile)), 200);
  })
  .openapi(remove, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { name } = c.req.valid('param');
    const { row } = await visibleUser(principal, name, db);
    authorize(principal, 'delete', 'users', platformScope, `User "${name}"`);
    if (row.id === principal.userId) throw conflict('You cannot delete yourself.');
    // Taking away a platform role is as sensitive as granting it.
    assertMayGrantPlatformRole(principal, row.platformRole);
    await assertNotLastAdmin(db, row);
    await deleteUser(db, row.id);
    return c.body(null, 204);
  });
