import { createRoute, z } from '@hono/zod-openapi';
import {
  type ApiTokenView,
  createApiToken,
  findApiToken,
  listApiTokens,
  revokeApiToken,
} from '../../db/queries/tokens';
import { badRequest, forbidden, notFound } from '../errors';
import { can, platformScope } from '../iam/authorize';
import { bearerAuth, createRouter } from '../openapi';
import { scopeProblem, scopesAllow, scopesWithin } from './token-scopes';

const MAX_EXPIRY_DAYS = 3650;

const scopeSchema = z
  .string()
  .max(80)
  .superRefine((scope, ctx) => {
    const problem = scopeProblem(scope);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({ example: 'create:alerts' });

const createTokenBody = z
  .strictObject({
    name: z.string().trim().min(1).max(100).openapi({ example: 'prometheus' }),
    scopes: z.array(scopeSchema).max(32).optional().openapi({
      description: '`verb:resource` pairs narrowing the owner rights; omitted: all of them.',
    }),
    expiresInDays: z.number().int().min(1).max(MAX_EXPIRY_DAYS).optional(),
  })
  .openapi('CreateApiToken');

const tokenView = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi('ApiToken');

const createdToken = tokenView
  .extend({ token: z.string().openapi({ description: 'Shown once: `et_...`.' }) })
  .openapi('CreatedApiToken');

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const createTokenRoute = createRoute({
  method: 'post',
  path: '/api/v1/tokens',
  tags: ['auth'],
  summary:
    'Create an API token (acts as you, optionally narrowed by scopes; made by an expiring token, it expires no later); shown once',
  security: bearerAuth,
  request: { body: { content: json(createTokenBody), required: true } },
  responses: {
    201: {
      description: 'The token, with its secret (only this once).',
      content: json(createdToken),
    },
    400: { description: 'Invalid body.' },
    403: {
      description:
        'An API token may only create narrower tokens (which expire no later than itself: expiresAt is capped).',
    },
  },
});

const listTokensRoute = createRoute({
  method: 'get',
  path: '/api/v1/tokens',
  tags: ['auth'],
  summary: 'Your live API tokens (never their secrets)',
  security: bearerAuth,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page of tokens, newest first.',
      content: json(z.object({ items: z.array(tokenView), nextCursor: z.string().optional() })),
    },
  },
});

const deleteTokenRoute = createRoute({
  method: 'delete',
  path: '/api/v1/tokens/{id}',
  tags: ['auth'],
  summary: 'Revoke an API token (yours; platform admins: anyone)',
  security: bearerAuth,
  request: { params: z.object({ id: z.string().max(64) }) },
  responses: {
    204: { description: 'Revoked.' },
    404: { description: 'No such live token that you may revoke.' },
  },
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const render = (t: ApiTokenView) => ({
  id: t.id,
  name: t.name,
  scopes: t.scopes,
  expiresAt: iso(t.expiresAt),
  lastUsedAt: iso(t.lastUsedAt),
  createdAt: t.createdAt.toISOString(),
});

/** `/api/v1/tokens`: machine tokens of the caller. */
export const tokenRoutes = createRouter()
  .openapi(createTokenRoute, async (c) => {
    const principal = c.get('principal');
    const body = c.req.valid('json');
    const scopes = [...new Set(body.scopes ?? [])];
    if (!scopesAllow(principal.scopes, 'create', 'tokens'))
      throw forbidden('This API token may not create tokens.');
    if (!scopesWithin(principal.scopes, scopes))
      throw forbidden('An API token can only create tokens with scopes within its own.');
    const now = new Date();
    const asked = body.expiresInDays
      ? new Date(now.getTime() + body.expiresInDays * 86_400_000)
      : null;
    // A token made by a token lives no longer than its maker: an expiring
    // (stolen, or short-lived by design) token cannot make itself permanent.
    const maker = principal.tokenId
      ? await findApiToken(c.get('db'), principal.tokenId)
      : undefined;
    const expiresAt =
      maker?.expiresAt && (!asked || asked > maker.expiresAt) ? maker.expiresAt : asked;
    const created = await createApiToken(c.get('db'), {
      userId: principal.userId,
      name: body.name,
      scopes,
      expiresAt,
      now,
    });
    c.get('audit').name = body.name;
    c.header('cache-control', 'no-store');
    return c.json({ ...render(created), token: created.token }, 201);
  })
  .openapi(listTokensRoute, async (c) => {
    const principal = c.get('principal');
    if (!scopesAllow(principal.scopes, 'list', 'tokens'))
      throw forbidden('This API token may not list tokens.');
    const page = await listApiTokens(c.get('db'), principal.userId, c.req.valid('query'));
    if (!page)
      throw badRequest('Invalid cursor: pass back the nextCursor of a previous page unchanged.');
    return c.json({ ...page, items: page.items.map(render) }, 200);
  })
  .openapi(deleteTokenRoute, async (c) => {
    const principal = c.get('principal');
    const { id } = c.req.valid('param');
    const db = c.get('db');
    const token = await findApiToken(db, id);
    const mayRevoke =
      token !== undefined &&
      (token.userId === principal.userId
        ? scopesAllow(principal.scopes, 'delete', 'tokens')
        : can(principal, 'delete', 'tokens', platformScope));
    if (!token || !mayRevoke) throw notFound(`API token "${id}"`);
    await revokeApiToken(db, id, new Date());
    c.get('audit').name = token.name;
    return c.body(null, 204);
  });
