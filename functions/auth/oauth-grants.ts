import type { Context } from 'hono';
import { recordAuditEvent } from '../../db/queries/audit';
import { loadPrincipal } from '../../db/queries/principal';
import { issueRefreshToken, rotateRefreshToken } from '../../db/queries/refresh-tokens';
import { findUserById } from '../../db/queries/users';
import { issuerUrl, settings } from '../config';
import type { AppEnv } from '../env';
import { signAccessToken } from './access-token';
import { ensureBootstrapped } from './bootstrap';
import { findPasswordProvider } from './identity-providers';
import { oauthError } from './oauth-errors';
import { currentSigningKey } from './signing-keys';

const sourceIp = (c: Context<AppEnv>) =>
  c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null;

export async function auditLogin(
  c: Context<AppEnv>,
  username: string,
  outcome: 'success' | 'failure' | 'denied',
  status: number,
  name = username,
) {
  await recordAuditEvent(c.get('db'), {
    time: new Date(),
    user: username.slice(0, 256),
    verb: 'login',
    resource: 'sessions',
    name: name.slice(0, 256),
    outcome,
    status,
    requestId: c.get('requestId'),
    sourceIp: sourceIp(c),
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
  });
}

/** What the token request asked for beyond the grant itself. */
export interface TokenRequestOptions {
  scope?: string | undefined;
}

// kubectl's OIDC auth sends the id_token to kube-apiservers: with scope
// `openid`, the same signed JWT (iss, sub, aud, exp, username, groups) is it.
const wantsIdToken = (options: TokenRequestOptions) =>
  (options.scope ?? '').split(' ').includes('openid');

/** Signs an access token; `refreshToken` is the rotated successor, else a new family starts. */
export async function issueTokens(
  c: Context<AppEnv>,
  userId: string,
  options: TokenRequestOptions,
  refreshToken?: string,
) {
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
    ...(wantsIdToken(options) ? { id_token: token } : {}),
  };
}

/** grant_type=password: check credentials with the identity provider, audit, issue tokens. */
export async function passwordGrant(
  c: Context<AppEnv>,
  input: TokenRequestOptions & {
    username?: string | undefined;
    password?: string | undefined;
    idp?: string | undefined;
  },
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
  const provider = await findPasswordProvider(db, c.env, input.idp || 'local');
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
  const tokens = await issueTokens(c, outcome.user.id, input);
  if (!tokens) {
    await auditLogin(c, input.username, 'denied', 400);
    return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  }
  await auditLogin(c, input.username, 'success', 200);
  return c.json(tokens, 200);
}

/** grant_type=refresh_token: rotate the refresh token and issue a new access token. */
export async function refreshGrant(
  c: Context<AppEnv>,
  input: TokenRequestOptions & { refresh_token?: string | undefined },
) {
  const refreshToken = input.refresh_token;
  if (!refreshToken)
    return oauthError(c, 400, 'invalid_request', 'grant_type=refresh_token needs refresh_token.');
  const result = await rotateRefreshToken(c.get('db'), refreshToken, {
    now: new Date(),
    ttlSeconds: settings(c.env).refreshTokenTtlSeconds,
  });
  if (!result.ok) {
    if (result.reason === 'reused') {
      // A replayed refresh token means a stolen one: worth an audit trail.
      const user = await findUserById(c.get('db'), result.userId);
      await auditLogin(c, user?.name ?? result.userId, 'denied', 400, 'refresh-token-reuse');
    }
    const why =
      result.reason === 'reused'
        ? 'The refresh token was already used; its whole family is now revoked. Log in again.'
        : `The refresh token is ${result.reason === 'unknown' ? 'invalid' : result.reason}.`;
    return oauthError(c, 400, 'invalid_grant', why);
  }
  const tokens = await issueTokens(c, result.userId, input, result.refreshToken);
  if (!tokens) return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  return c.json(tokens, 200);
}
