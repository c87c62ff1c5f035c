import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  type BindingScope,
  createBinding,
  deleteBinding,
  findBinding,
  listMembers,
  updateBindingRole,
} from '../../../db/queries/members';
import { findUserByName } from '../../../db/queries/users';
import type { PolicyRule } from '../../../db/schema/roles';
import type { AppEnv } from '../../env';
import { badRequest, forbidden, notFound } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, canGrant, type Scope } from '../authorize';
import { orConflict } from '../conflicts';
import { dnsLabel } from '../names';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import { errors, json, jsonBody, memberSchema, noContent, writeErrors } from '../schemas';

/** Where members are bound, as resolved from a request's path and query. */
export interface MemberScope {
  scope: Scope;
  binding: BindingScope;
  /** The rules of a role bindable here, or undefined when no such role exists. */
  rulesOf(role: string): Promise<PolicyRule[] | undefined>;
}

export interface MemberRoutesOptions {
  /** The path of the collection, in OpenAPI form (`/clusters/{c}/members`). */
  path: string;
  tag: string;
  /** Path parameters naming the scope. */
  params: z.ZodObject;
  /** Extra query parameters naming the scope (e.g. `cluster`). */
  query?: z.ZodObject;
  /** The resource name rules must grant (`members`, `clustermembers`). */
  resource: string;
  /** Throws 404 when the scope is not visible to the caller. */
  resolve(c: Context<AppEnv>): Promise<MemberScope>;
}

const memberView = (m: { user: string; role: string; createdAt: Date }) => ({
  user: m.user,
  role: m.role,
  createdAt: m.createdAt.toISOString(),
});

/**
 * The members routes of one level (cluster, workspace or namespace): role
 * bindings of users at that scope. One implementation for the three levels
 * so they authorize, validate and refuse escalation the same way.
 */
export function memberRoutes(options: MemberRoutesOptions) {
  const { resource, tag } = options;
  const tags = [tag];
  const params = options.params;
  const userParams = options.params.extend({ user: dnsLabel });
  const scopeQuery = options.query ?? z.object({});
  const role = z.string().min(1).max(63);

  /** The rules of `role` at this scope; unknown roles are a 400, ungrantable ones 403. */
  async function grantable(c: Context<AppEnv>, where: MemberScope, name: string) {
    const rules = await where.rulesOf(name);
    if (!rules)
      throw badRequest(`No role "${name}" here.`, [{ path: 'role', message: 'unknown role' }]);
    if (!canGrant(c.get('principal'), rules, where.scope))
      throw forbidden(`You may not grant ${name}: it allows more than you may do.`);
  }

  async function existingBinding(c: Context<AppEnv>, verb: string) {
    const where = await options.resolve(c);
    const userName = c.req.param('user') ?? '';
    authorize(c.get('principal'), verb, resource, where.scope, `Member "${userName}"`);
    const db = c.get('db');
    const user = await findUserByName(db, userName);
    const binding =
      user && (await findBinding(db, where.binding, { subjectType: 'user', subjectId: user.id }));
    if (!user || !binding) throw notFound(`Member "${userName}"`);
    return { where, user, binding };
  }

  const list = createRoute({
    method: 'get',
    path: options.path,
    tags,
    security: bearerAuth,
    summary: `List ${tag}`,
    request: { params, query: pageQuery.extend(scopeQuery.shape) },
    responses: { 200: json(listOf(memberSchema), 'One page of members by user name.'), ...errors },
  });
  const get = createRoute({
    method: 'get',
    path: `${options.path}/{user}`,
    tags,
    security: bearerAuth,
    summary: `Get one of the ${tag}`,
    request: { params: userParams, query: scopeQuery },
    responses: { 200: json(memberSchema, 'The member.'), ...errors },
  });
  const create = createRoute({
    method: 'post',
    path: options.path,
    tags,
    security: bearerAuth,
    summary: `Add a member with a role (${tag})`,
    request: {
      params,
      query: scopeQuery,
      body: jsonBody(z.strictObject({ user: dnsLabel, role })),
    },
    responses: { 201: json(memberSchema, 'The new member.'), ...writeErrors },
  });
  const update = createRoute({
    method: 'put',
    path: `${options.path}/{user}`,
    tags,
    security: bearerAuth,
    summary: `Change a member's role (${tag})`,
    request: { params: userParams, query: scopeQuery, body: jsonBody(z.strictObject({ role })) },
    responses: { 200: json(memberSchema, 'The member.'), ...writeErrors },
  });
  const remove = createRoute({
    method: 'delete',
    path: `${options.path}/{user}`,
    tags,
    security: bearerAuth,
    summary: `Remove a member (${tag})`,
    request: { params: userParams, query: scopeQuery },
    responses: { ...noContent, ...errors },
  });

  return createRouter()
    .openapi(list, async (c) => {
      const where = await options.resolve(c);
      authorize(c.get('principal'), 'list', resource, where.scope, 'Members');
      const page = toPage(c.req.valid('query'));
      const rows = await listMembers(c.get('db'), where.binding, page);
      return c.json(
        pageOf(rows, page, (m) => m.user, memberView),
        200,
      );
    })
    .openapi(get, async (c) => {
      const { user, binding } = await existingBinding(c, 'get');
      return c.json(
        memberView({ user: user.name, role: binding.role, createdAt: binding.createdAt }),
        200,
      );
    })
    .openapi(create, async (c) => {
      const input = c.req.valid('json');
      c.get('audit').name = input.user;
      const where = await options.resolve(c);
      const principal = c.get('principal');
      authorize(principal, 'create', resource, where.scope, 'Members');
      await grantable(c, where, input.role);
      const db = c.get('db');
      const user = await findUserByName(db, input.user);
      if (!user)
        throw badRequest(`No user "${input.user}".`, [{ path: 'user', message: 'no such user' }]);
      const row = await orConflict(
        createBinding(db, {
          ...where.binding,
          subjectType: 'user',
          subjectId: user.id,
          role: input.role,
          createdBy: principal.username,
        }),
        `"${input.user}" is already a member; PUT to change the role.`,
      );
      return c.json(memberView({ user: user.name, role: row.role, createdAt: row.createdAt }), 201);
    })
    .openapi(update, async (c) => {
      const { role: newRole } = c.req.valid('json');
      const { where, user, binding } = await existingBinding(c, 'update');
      await grantable(c, where, newRole);
      await updateBindingRole(c.get('db'), binding.id, newRole);
      return c.json(
        memberView({ user: user.name, role: newRole, createdAt: binding.createdAt }),
        200,
      );
    })
    .openapi(remove, async (c) => {
      const { binding } = await existingBinding(c, 'delete');
      await deleteBinding(c.get('db'), binding.id);
      return c.body(null, 204);
    });
}
