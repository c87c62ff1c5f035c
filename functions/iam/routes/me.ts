import { createRoute, z } from '@hono/zod-openapi';
import { bindingsOfUser } from '../../../db/queries/members';
import { findUserById } from '../../../db/queries/users';
import { scopeTypes } from '../../../db/schema/role-bindings';
import { platformRoles } from '../../../db/schema/users';
import { forbidden, unauthorized } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { errors, json, userSchema } from '../schemas';
import { canSelf } from './self-service';
import { userView } from './users';

const meSchema = z
  .object({
    user: userSchema,
    platformRole: z.enum(platformRoles),
    groups: z.array(z.string()),
    bindings: z.array(
      z.object({
        level: z.enum(scopeTypes),
        role: z.string(),
        workspace: z.string().optional(),
        cluster: z.string().optional(),
        namespace: z.string().optional(),
        viaGroup: z.string().optional(),
      }),
    ),
  })
  .openapi('Me');

const me = createRoute({
  method: 'get',
  path: '/me',
  tags: ['users'],
  security: bearerAuth,
  summary: 'The caller and their effective roles at every level',
  responses: { 200: json(meSchema, 'The caller.'), ...errors },
});

export const meRoutes = createRouter().openapi(me, async (c) => {
  const principal = c.get('principal');
  // Yourself and your roles: an API token shows them only if its scopes allow reading users.
  if (!canSelf(principal, 'get'))
    throw forbidden("This API token's scopes do not allow get on users.");
  const db = c.get('db');
  const [user, bindings] = await Promise.all([
    findUserById(db, principal.userId),
    bindingsOfUser(db, principal.userId),
  ]);
  if (!user) throw unauthorized();
  return c.json(
    {
      user: userView(user),
      platformRole: user.platformRole,
      groups: principal.groups,
      bindings: bindings.map(({ scopeType, ...rest }) => ({ level: scopeType, ...rest })),
    },
    200,
  );
});
