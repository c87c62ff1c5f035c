import { createRoute, z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { recordAuditEvent } from '../../db/queries/audit';
import { loadPrincipal } from '../../db/queries/principal';
import {
  issueRefreshToken,
  revokeRefreshToken,
  rotateRefreshToken,
} from '../../db/queries/refresh-tokens';
import { API_TOKEN_PREFIX, revokeApiTokenBySecret } from '../../db/queries/tokens';
import { issuerUrl, settings } from '../config';
import type { AppEnv } from '../env';
import { createRouter } from '../openapi';
import { signAccessToken } from './access-token';
import { principalFromBearer } from './authenticate';
import { ensureBootstrapped } from './bootstrap';
import { findPasswordProvider } from './identity-providers';
import { oauthError, oauthErrorBody } from './oauth-errors';
import { currentSigningKey } from './signing-keys';

const form = 'application/x-www-form-urlencoded';

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
  })
  .openapi('TokenRequest');

const tokenResponseSchema = z
  .object({
    access_token: z.string(),
    token_type: z.literal('Bearer'),
    expires_in: z.number().int(),
    refresh_token: z.string(),
  })
  .openapi('TokenResponse');

const tokenRoute = createRoute({
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

const revokeRoute = createRoute({
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

const userinfoRoute = createRoute({
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
  },
});

/** Validation failures on the OAuth endpoints are RFC 6749 `invalid_request`s. */
const oauthHook = (
  result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } },
  c: Context<AppEnv>,
) => {
  if (result.success) return;
  const issues = result.error?.issues ?? [];
  const detail = issues
    .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
    .join('; ');
  return oauthError(
    c,
    400,
    'invalid_request',
    `Send a form-encoded (${form}) body. ${detail}`.trim(),
  );
};

const sourceIp = (c: Context<AppEnv>) =>
  c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null;

async function auditLogin(
  c: Context<AppEnv>,
  username: string,
  outcome: 'success' | 'failure' | 'denied',
  status: number,
) {
  await recordAuditEvent(c.get('db'), {
    time: new Date(),
    user: username.slice(0, 256),
    verb: 'login',
    resource: 'sessions',
    name: username.slice(0, 256),
    outcome,
    status,
    requestId: c.get('requestId'),
    sourceIp: sourceIp(c),
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
  });
}

/** Signs an access token; `refreshToken` is the rotated successor, else a new family starts. */
async function issueTokens(c: Context<AppEnv>, userId: string, refreshToken?: string) {
  const db = c.get('db');
  const config = settings(c.env);
  const loaded = await loadPrincipal(db, userId);
  if (loaded?.user.status !== 'active') return undefined;
  const now = new Date();
  const key = await currentSigningKey(db, c.env);
  const [{ token }, refresh] = await Promise.all([
    signAccessToken(key, loaded.principal, {
      issuer: issuerUrl(c.env, c.req.url),
      ttlSeconds: config.accessTokenTtlSeconds,
      now,
    }),
    refreshToken ??
      issueRefreshToken(db, { userId, ttlSeconds: config.refreshTokenTtlSeconds, now }),
  ]);
  c.header('cache-control', 'no-store');
  return {
    access_token: token,
    token_type: 'Bearer' as const,
    expires_in: config.accessTokenTtlSeconds,
    refresh_token: refresh,
  };
}

async function passwordGrant(
  c: Context<AppEnv>,
  input: { username?: string | undefined; password?: string | undefined; idp?: string | undefined },
) {
  if (!input.username || !input.password)
    return oauthError(
      c,
      400,
      'invalid_request',
      'grant_type=password needs username and password.',
    );
  const db = c.get('db');
  await ensureBootstrapped(db, c.env);
  const provider = await findPasswordProvider(db, input.idp || 'local');
  if (!provider)
    return oauthError(c, 400, 'invalid_request', `Unknown identity provider "${input.idp}".`);
  const outcome = await provider.login(db, c.env, input.username, input.password, new Date());
  if (!outcome.ok) {
    if (outcome.reason === 'locked') {
      await auditLogin(c, input.username, 'denied', 429);
      return oauthError(
        c,
        429,
        'invalid_grant',
        `Too many failed logins: this account is locked; retry in ${outcome.retryAfterSeconds} s.`,
        { 'retry-after': String(outcome.retryAfterSeconds) },
      );
    }
    const disabled = outcome.reason === 'disabled';
    await auditLogin(c, input.username, disabled ? 'denied' : 'failure', 400);
    return oauthError(
      c,
      400,
      'invalid_grant',
      disabled ? 'This account is disabled.' : 'Invalid username or password.',
    );
  }
  const tokens = await issueTokens(c, outcome.user.id);
  if (!tokens) {
    await auditLogin(c, input.username, 'denied', 400);
    return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  }
  await auditLogin(c, input.username, 'success', 200);
  return c.json(tokens, 200);
}

async function refreshGrant(c: Context<AppEnv>, refreshToken: string | undefined) {
  if (!refreshToken)
    return oauthError(c, 400, 'invalid_request', 'grant_type=refresh_token needs refresh_token.');
  const result = await rotateRefreshToken(c.get('db'), refreshToken, {
    now: new Date(),
    ttlSeconds: settings(c.env).refreshTokenTtlSeconds,
  });
  if (!result.ok) {
    const why =
      result.reason === 'reused'
        ? 'The refresh token was already used; its whole family is now revoked. Log in again.'
        : `The refresh token is ${result.reason === 'unknown' ? 'invalid' : result.reason}.`;
    return oauthError(c, 400, 'invalid_grant', why);
  }
  const tokens = await issueTokens(c, result.userId, result.refreshToken);
  if (!tokens) return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  return c.json(tokens, 200);
}

/** RFC 6749 bodies are form-encoded; anything else is an `invalid_request`, not a generic 415. */
const requireForm: MiddlewareHandler<AppEnv> = async function requireForm(c, next) {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    return oauthError(
      c,
      400,
      'invalid_request',
      `Send a form-encoded body with Content-Type: ${form} (got "${type || 'none'}").`,
    );
  await next();
};

/** The OAuth2 endpoints: token (password, refresh_token), revoke, userinfo. */
const router = createRouter();
router.use('/oauth/token', requireForm);
router.use('/oauth/revoke', requireForm);

export const oauthRoutes = router
  .openapi(
    tokenRoute,
    async (c) => {
      const body = c.req.valid('form');
      switch (body.grant_type) {
        case 'password':
          return passwordGrant(c, body);
        case 'refresh_token':
          return refreshGrant(c, body.refresh_token);
        default:
          return oauthError(
            c,
            400,
            'unsupported_grant_type',
            `grant_type must be "password" or "refresh_token" (got "${body.grant_type}").`,
          );
      }
    },
    oauthHook,
  )
  .openapi(
    revokeRoute,
    async (c) => {
      const { token } = c.req.valid('form');
      const db = c.get('db');
      const now = new Date();
      // Access tokens (JWTs) are short-lived and cannot be revoked: 200 like any unknown token.
      if (token.startsWith(API_TOKEN_PREFIX)) await revokeApiTokenBySecret(db, token, now);
      else if (!token.includes('.')) await revokeRefreshToken(db, token, now);
      return c.body(null, 200);
    },
    oauthHook,
  )
  .openapi(userinfoRoute, async (c) => {
    const principal = await principalFromBearer(c);
    if (!principal)
      return c.json(
        oauthErrorBody(c, 'invalid_token', 'Send a valid Authorization: Bearer token.'),
        401,
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    const loaded = await loadPrincipal(c.get('db'), principal.userId);
    const user = loaded?.user;
    return c.json(
      {
        sub: principal.userId,
        preferred_username: principal.username,
        name: user?.displayName ?? principal.username,
        ...(user?.email ? { email: user.email } : {}),
        groups: principal.groups,
        platform_role: principal.platformRole,
      },
      200,
    );
  });
