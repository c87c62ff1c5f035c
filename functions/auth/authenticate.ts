import type { Context, MiddlewareHandler } from 'hono';
import { decodeProtectedHeader } from 'jose';
import type { Database } from '../../db/client';
import { loadPrincipal } from '../../db/queries/principal';
import { API_TOKEN_PREFIX, findApiTokenBySecret, touchApiToken } from '../../db/queries/tokens';
import { issuerUrl } from '../config';
import type { AppEnv } from '../env';
import { unauthorized } from '../errors';
import { verifyAccessToken } from './access-token';
import type { Principal } from './principal';
import { verificationKeys } from './signing-keys';

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

async function fromAccessToken(
  db: Database,
  token: string,
  issuer: string,
): Promise<Principal | undefined> {
  let result = await verifyAccessToken(token, await verificationKeys(db), { issuer });
  if (!result.ok && result.reason === 'unknown_key') {
    // Maybe another isolate just rotated; reload once (rate-limited inside).
    const kid = kidOf(token);
    if (kid)
      result = await verifyAccessToken(token, await verificationKeys(db, { reloadForKid: kid }), {
        issuer,
      });
  }
  if (!result.ok) return undefined;
  const loaded = await loadPrincipal(db, result.claims.sub);
  if (loaded?.user.status !== 'active') return undefined;
  return { ...loaded.principal, via: 'access-token', scopes: [] };
}

async function fromApiToken(c: Context<AppEnv>, token: string): Promise<Principal | undefined> {
  const db = c.get('db');
  const row = await findApiTokenBySecret(db, token);
  const now = new Date();
  if (!row || (row.expiresAt && row.expiresAt.getTime() <= now.getTime())) return undefined;
  const loaded = await loadPrincipal(db, row.userId);
  if (loaded?.user.status !== 'active') return undefined;
  // Awaited: it writes at most once a minute per token, so this is almost always free.
  await touchApiToken(db, row, now);
  return { ...loaded.principal, via: 'api-token', scopes: row.scopes, tokenId: row.id };
}

/**
 * Resolves the caller of every /api route from `Authorization: Bearer`: an
 * ES256 access token from /oauth/token (verified against cached keys) or an
 * API token `et_...` (looked up by hash). Either way the user must exist and
 * be active; the principal with its role bindings comes from one D1 batch.
 */
export const authenticate: MiddlewareHandler<AppEnv> = async function authenticate(c, next) {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) throw unauthorized();
  const principal = token.startsWith(API_TOKEN_PREFIX)
    ? await fromApiToken(c, token)
    : await fromAccessToken(c.get('db'), token, issuerUrl(c.env, c.req.url));
  if (!principal)
    throw unauthorized('The bearer token is invalid, expired or revoked, or its user is disabled.');
  c.set('principal', principal);
  await next();
};

/** Resolves a bearer token outside the /api middleware (userinfo). */
export async function principalFromBearer(c: Context<AppEnv>): Promise<Principal | undefined> {
  const token = bearerToken(c.req.header('authorization'));
  if (!token) return undefined;
  return token.startsWith(API_TOKEN_PREFIX)
    ? fromApiToken(c, token)
    : fromAccessToken(c.get('db'), token, issuerUrl(c.env, c.req.url));
}
