import type { Context, MiddlewareHandler } from 'hono';
import { findLiveSession } from '../../db/queries/ui-sessions';
import { cachedPrincipal } from '../auth/principal-cache';
import type { AppEnv } from '../env';
import { clearCookie, readCookie, writeCookie } from './cookies';
import type { UiEnv } from './ui-env';

/** Where the sign-in page sends the browser back to: only paths of the dashboard itself. */
export function safeNext(raw: string | undefined): string {
  return raw && /^\/ui(\/[\w\-./%?=&]*)?$/.test(raw) && !raw.includes('//') ? raw : '/ui';
}

/** Starts a session: the cookie holds the refresh token (opaque; only its hash is stored). */
export function startSession<E extends AppEnv>(
  c: Context<E>,
  refreshToken: string,
  ttlSeconds: number,
) {
  writeCookie(c, 'session', refreshToken, { maxAgeSeconds: ttlSeconds });
}

export const endSession = (c: Context<UiEnv>) => clearCookie(c, 'session');

/**
 * Every dashboard page behind sign-in: the session cookie must name a live
 * refresh token of an active user, whose principal (roles, groups) is then
 * loaded like a bearer token's. Anything else goes to the sign-in page,
 * remembering where the browser wanted to go.
 */
export const requireSession: MiddlewareHandler<UiEnv> = async function requireSession(c, next) {
  const token = readCookie(c, 'session');
  const db = c.get('db');
  const row = token ? await findLiveSession(db, token, new Date()) : undefined;
  const loaded = row ? await cachedPrincipal(db, row.userId) : undefined;
  if (!token || !row || loaded?.user.status !== 'active') {
    if (token) endSession(c);
    if (c.req.method !== 'GET') return c.redirect('/ui/sign-in', 303);
    const url = new URL(c.req.url);
    const next = encodeURIComponent(`${url.pathname}${url.search}`);
    return c.redirect(`/ui/sign-in?next=${next}`, 303);
  }
  // A session carries its user's full rights, like their access token would.
  c.set('principal', { ...loaded.principal, via: 'access-token', scopes: [] });
  c.set('session', { token, userId: row.userId, expiresAt: row.expiresAt });
  await next();
};
