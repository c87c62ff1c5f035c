import { createRoute, z } from '@hono/zod-openapi';

export const form = 'application/x-www-form-urlencoded';

const oauthErrorSchema = z
  .object({
    error: z.string(),
    error_description: z.string(),
    code: z.string(),
    message: z.string(),
    requestId: z.string(),
  })
  .openapi('OAuthError');

// Not strict: OAuth clients routinely send client_id, scope and the like.
const tokenRequestSchema = z
  .object({
    grant_type: z.string().openapi({ example: 'password' }),
    username: z.string().max(256).optional(),
    password: z.string().max(1024).optional(),
    refresh_token: z.string().max(512).optional(),
    idp: z
      .string()
      .max(63)
      .optional()
      .openapi({ description: 'Identity provider; `local` (default).' }),
    scope: z.string().max(1024).optional(),
    client_id: z.string().max(256).optional(),
    code: z.string().max(256).optional().openapi({
      description: 'grant_type=authorization_code: the one-time code of a browser sign-in.',
    }),
    redirect_uri: z.string().max(2048).optional(),
    code_verifier: z.string().max(128).optional(),
  })
  .openapi('TokenRequest');

const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string(),
    id_token: z
      .string()
      .optional()
      .openapi({ description: 'With scope `openid`: the same JWT, for OIDC clients (kubectl).' }),
  })
  .openapi('TokenResponse');

export const tokenRoute = createRoute({
  method: 'post',
  path: '/oauth/token',
  tags: ['auth'],
  summary: 'Exchange a password or a refresh token for tokens (RFC 6749)',
  description:
    'Form-encoded. `grant_type=password` with `username`, `password` (and optional `idp`), or `grant_type=refresh_token` with `refresh_token`. Refresh tokens rotate on every use; reusing a rotated one revokes its whole family.',
  request: { body: { content: { [form]: { schema: tokenRequestSchema } }, required: true } },
  responses: {
    200: {
      description: 'Tokens.',
      content: { 'application/json': { schema: tokenResponseSchema } },
    },
    400: {
      description: 'RFC 6749 error.',
      content: { 'application/json': { schema: oauthErrorSchema } },
    },
    429: {
      description: 'Account locked after repeated failures; see Retry-After.',
      content: { 'application/json': { schema: oauthErrorSchema } },
    },
    503: { description: 'Not bootstrapped (ADMIN_PASSWORD) or SECRETS_KEY missing.' },
  },
});

export const revokeRoute = createRoute({
  method: 'post',
  path: '/oauth/revoke',
  tags: ['auth'],
  summary: 'Revoke a refresh token (its whole family) or an API token (RFC 7009)',
  request: {
    body: {
      content: {
        [form]: {
          schema: z.object({ token: z.string().max(512), token_type_hint: z.string().optional() }),
        },
      },
      required: true,
    },
  },
  responses: {
    200: { description: 'Revoked, or the token was unknown (RFC 7009 answers the same).' },
    400: {
      description: 'RFC 6749 error.',
      content: { 'application/json': { schema: oauthErrorSchema } },
    },
  },
});

const userinfoSchema = z
  .object({
    sub: z.string(),
    preferred_username: z.string(),
    name: z.string(),
    email: z.string().optional(),
    groups: z.array(z.string()),
    platform_role: z.string(),
  })
  .openapi('UserInfo');

export const userinfoRoute = createRoute({
  method: 'get',
  path: '/oauth/userinfo',
  tags: ['auth'],
  summary: 'The authenticated user (OIDC UserInfo)',
  security: [{ bearerAuth: [] }],
  responses: {
    200: {
      description: 'Claims about the caller.',
      content: { 'application/json': { schema: userinfoSchema } },
    },
    401: {
      description: 'Missing or invalid bearer token.',
      content: { 'application/json': { schema: oauthErrorSchema } },
    },
    403: {
      description: 'An API token whose scopes do not allow get:users (insufficient_scope).',
      content: { 'application/json': { schema: oauthErrorSchema } },
    },
  },
});
