import type { Context, MiddlewareHandler } from 'hono';
import { decodeProtectedHeader } from 'jose';
import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { API_TOKEN_PREFIX, findApiTokenBySecret, touchApiToken } from '../../db/queries/tokens';
import type { UserRow } from '../../db/queries/users';
import type { AppEnv } from '../env';
import { unauthorized } from '../errors';
import { issuerUrl } from '../settings';
import { verifyAccessToken } from './access-token';
import { cachedPrincipal, forgetPrincipals } from './principal-cache';
import { lookUpVerificationKey, verificationKeys } from './signing-keys';

const kidOf = (token: string): string | undefined => {
  try {
    return decodeProtectedHeader(token).kid;
  } catch {
    return undefined;
  }
};

/** The bearer token of a request, if it sent one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header ?? '');
  return match?.[1];
}

/** The caller behind a bearer token, with their user row. */
export interface BearerIdentity {
  principal: Principal;
  user: UserRow;
}

async function fromAccessToken(
  db: Database,
  token: string,
  issuer: string,
): Promise<BearerIdentity | undefined> {
  const keys = await verificationKeys(db);
  let result = await verifyAccessToken(token, keys, { issuer });
  if (!result.ok && result.reason === 'unknown_key') {
    // Signed by a key another isolate made or rotated in: fetch just that one.
    const kid = kidOf(token);
    const key = kid ? await lookUpVerificationKey(db, kid) : undefined;
    if (kid && key) result = await verifyAccessToken(token, new Map([[kid, key]]), { issuer });
  }
  if (!result.ok) return undefined;
  const loaded = await cachedPrincipal(db, result.claims.sub);
  if (loaded?.user.status !== 'active') return undefined;
  return { user: loaded.user, principal: { ...loaded.principal, via: 'access-token', scopes: [] } };
}

async function fromApiToken(db: Database, token: string): Promise<BearerIdentity | undefined> {
  const row = await findApiTokenBySecret(db, token);
  const now = new Date();
  if (!row || (row.expiresAt && row.expiresAt.getTime() <= now.getTime())) return undefined;
  const loaded = await cachedPrincipal(db, row.userId);
  if (loaded?.user.status !== 'active') return undefined;
  // Awaited: it writes at most once a minute per token, so this is almost always free.
  await touchApiToken(db, row, now);
  return {
    user: loaded.user,
    principal: { ...loaded.principal, via: 'api-token', scopes: row.scopes, tokenId: row.id },
  };
}

/**
 * Resolves `Authorization: Bearer`: an ES256 access token from /oauth/token
 * (verified against cached keys) or an API token `et_...` (looked up by
 * hash). Either way the user must exist and be active; the principal with
 * its role bindings comes from one D1 batch. Undefined when unauthenticated.
 */
export async function bearerIdentity(c: Context<AppEnv>): Promise<BearerIdentity | undefined> {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) return undefined;
  return token.startsWith(API_TOKEN_PREFIX)
    ? fromApiToken(c.get('db'), token)
    : fromAccessToken(c.get('db'), token, issuerUrl(c.env, c.req.url));
}

const readOnlyMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sets `principal` for every /api route; 401 without a valid bearer token. */
export const authenticate: MiddlewareHandler<AppEnv> = async function authenticate(c, next) {
  if (!bearerToken(c.req.header('authorization'))) throw unauthorized();
  const identity = await bearerIdentity(c);
  if (!identity)
    throw unauthorized('The bearer token is invalid, expired or revoked, or its user is disabled.');
  c.set('principal', identity.principal);
  try {
    await next();
  } finally {
    // Whatever this request changed (roles, members, users) applies to the next one at once.
    if (!readOnlyMethods.has(c.req.method) && !c.get('principalsUnchanged')) forgetPrincipals();
  }
};
