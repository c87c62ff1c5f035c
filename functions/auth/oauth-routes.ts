import type { Context, MiddlewareHandler } from 'hono';
import { revokeRefreshToken } from '../../db/queries/refresh-tokens';
import { API_TOKEN_PREFIX, revokeApiTokenBySecret } from '../../db/queries/tokens';
import type { AppEnv } from '../env';
import { authorizationCodeGrant } from '../identity/code-grant';
import { createRouter } from '../openapi';
import { bearerIdentity } from './authenticate';
import { oauthError, oauthErrorBody } from './oauth-errors';
import { passwordGrant, refreshGrant } from './oauth-grants';
import { form, revokeRoute, tokenRoute, userinfoRoute } from './oauth-schemas';
import { scopesAllow } from './token-scopes';

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
          return refreshGrant(c, body);
        case 'authorization_code':
          return authorizationCodeGrant(c, body);
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
    const identity = await bearerIdentity(c);
    if (!identity)
      return c.json(
        oauthErrorBody(c, 'invalid_token', 'Send a valid Authorization: Bearer token.'),
        401,
        { 'www-authenticate': 'Bearer error="invalid_token"' },
      );
    const { principal, user } = identity;
    // RFC 6750 §3.1: a token whose scopes do not cover reading its owner.
    if (!scopesAllow(principal.scopes, 'get', 'users'))
      return c.json(
        oauthErrorBody(c, 'insufficient_scope', "This API token's scopes do not allow get:users."),
        403,
        { 'www-authenticate': 'Bearer error="insufficient_scope"' },
      );
    return c.json(
      {
        sub: principal.userId,
        preferred_username: principal.username,
        name: user.displayName ?? principal.username,
        ...(user.email ? { email: user.email } : {}),
        groups: principal.groups,
        platform_role: principal.platformRole,
      },
      200,
    );
  });
