import type { BatchItem } from 'drizzle-orm/batch';
import type { Context } from 'hono';
import { type AuditEventInput, auditEventInsert, recordAuditEvent } from '../../db/queries/audit';
import { clearLoginThrottle } from '../../db/queries/login-throttles';
import { type LoadedPrincipal, loadPrincipal } from '../../db/queries/principal';
import { newRefreshTokenInsert, rotateRefreshToken } from '../../db/queries/refresh-tokens';
import { findUserById } from '../../db/queries/users';
import { issuerUrl, settings } from '../config';
import type { AppEnv } from '../env';
import { signAccessToken } from './access-token';
import { ensureBootstrapped } from './bootstrap';
import { findPasswordProvider } from './identity-providers';
import { claimGuess, lockedMessage, retryAfterSeconds } from './login-throttle';
import { oauthError } from './oauth-errors';
import { currentSigningKey } from './signing-keys';

const sourceIp = (c: Context<AppEnv>) =>
  c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null;

/** The audit row of a login attempt (written alone by auditLogin, or batched with a sign-in's writes). */
export function loginAuditEvent(
  c: Context<AppEnv>,
  username: string,
  outcome: 'success' | 'failure' | 'denied',
  status: number,
  name = username,
): AuditEventInput {
  return {
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
  };
}

export async function auditLogin(
  c: Context<AppEnv>,
  username: string,
  outcome: 'success' | 'failure' | 'denied',
  status: number,
  name = username,
) {
  await recordAuditEvent(c.get('db'), loginAuditEvent(c, username, outcome, status, name));
}

/** What the token request asked for beyond the grant itself. */
export interface TokenRequestOptions {
  scope?: string | undefined;
}

// kubectl's OIDC auth sends the id_token to kube-apiservers: with scope
// `openid`, the same signed JWT (iss, sub, aud, exp, username, groups) is it.
const wantsIdToken = (options: TokenRequestOptions) =>
  (options.scope ?? '').split(' ').includes('openid');

/** How issueTokens may save round trips; every part is optional. */
export interface IssueOptions {
  /** The rotated successor: no new family is started. */
  refreshToken?: string | undefined;
  /** The principal, already read (in the caller's own batch). */
  loaded?: LoadedPrincipal | undefined;
  /**
   * Writes that belong to this sign-in (its audit row, login stamps): in ONE
   * atomic batch with the new refresh token, written only when the account is
   * active and tokens are issued.
   */
  writes?: readonly BatchItem<'sqlite'>[] | undefined;
}

/**
 * Signs an access token and starts a refresh-token family (or hands out the
 * rotated successor): one read (the principal, unless given) and one batch
 * of writes, the JWT signed meanwhile.
 */
export async function issueTokens(
  c: Context<AppEnv>,
  userId: string,
  options: TokenRequestOptions,
  issue: IssueOptions = {},
) {
  const db = c.get('db');
  const config = settings(c.env);
  const loaded = issue.loaded ?? (await loadPrincipal(db, userId));
  if (loaded?.user.status !== 'active') return undefined;
  const now = new Date();
  const [key, refresh] = await Promise.all([
    currentSigningKey(db, c.env),
    issue.refreshToken === undefined
      ? newRefreshTokenInsert(db, { userId, ttlSeconds: config.refreshTokenTtlSeconds, now })
      : { token: issue.refreshToken, statement: undefined },
  ]);
  const [first, ...rest] = [
    ...(refresh.statement ? [refresh.statement] : []),
    ...(issue.writes ?? []),
  ];
  const [{ token }] = await Promise.all([
    signAccessToken(key, loaded.principal, {
      issuer: issuerUrl(c.env, c.req.url),
      ttlSeconds: config.accessTokenTtlSeconds,
      now,
    }),
    first && db.batch([first, ...rest]),
  ]);
  c.header('cache-control', 'no-store');
  return {
    access_token: token,
    token_type: 'Bearer' as const,
    expires_in: config.accessTokenTtlSeconds,
    refresh_token: refresh.token,
    ...(wantsIdToken(options) ? { id_token: token } : {}),
  };
}

/** The one answer for a locked name: the same for a right or wrong password, a known or unknown name. */
async function lockedAnswer(c: Context<AppEnv>, username: string, until: Date, now: Date) {
  await auditLogin(c, username, 'denied', 429);
  const seconds = retryAfterSeconds(until, now);
  return oauthError(c, 429, 'invalid_grant', lockedMessage(seconds), {
    'retry-after': String(seconds),
  });
}

/**
 * grant_type=password: claim the guess against the name's lockout budget
 * (before any provider judges it; a locked name reaches no provider), check
 * credentials with the identity provider, audit, issue tokens.
 */
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
  const now = new Date();
  const claim = await claimGuess(db, c.env, input.username, now);
  if (!claim.ok) return lockedAnswer(c, input.username, claim.lockedUntil, now);
  const outcome = await provider.login(db, c.env, input.username, input.password, now);
  if (!outcome.ok) {
    // This guess was the window's last: a wrong password now locks the name.
    if (outcome.reason === 'invalid_credentials' && claim.lockedUntil)
      return lockedAnswer(c, input.username, claim.lockedUntil, now);
    const disabled = outcome.reason === 'disabled';
    await auditLogin(c, input.username, disabled ? 'denied' : 'failure', 400);
    return oauthError(
      c,
      400,
      'invalid_grant',
      disabled ? 'This account is disabled.' : 'Invalid username or password.',
    );
  }
  // The success (which clears the name's guesses) is audited in the same
  // batch as the refresh token (and the provider's sign-in writes it left):
  // all or nothing.
  const tokens = await issueTokens(c, outcome.user.id, input, {
    loaded: outcome.loaded,
    writes: [
      ...(outcome.writes ?? []),
      clearLoginThrottle(db, claim.key),
      auditEventInsert(db, loginAuditEvent(c, input.username, 'success', 200)),
    ],
  });
  if (!tokens) {
    await auditLogin(c, input.username, 'denied', 400);
    return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  }
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
  const tokens = await issueTokens(c, result.userId, input, {
    refreshToken: result.refreshToken,
  });
  if (!tokens) return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  return c.json(tokens, 200);
}
