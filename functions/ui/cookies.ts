import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { AppEnv } from '../env';

/** `once`: a one-time secret between a form's redirect and the page that shows it (one-time.ts). */
type Name = 'session' | 'csrf' | 'lang' | 'once';

// Generic over the env: the identity callback (AppEnv) opens dashboard sessions too.
const https = <E extends AppEnv>(c: Context<E>) => new URL(c.req.url).protocol === 'https:';

/**
 * Cookie names carry the `__Host-` prefix on https (no Domain, Path=/,
 * Secure: a sibling subdomain cannot plant or overwrite them). Plain http
 * is only local development on 127.0.0.1, where Chromium still accepts
 * Secure cookies but not the prefix.
 */
export const cookieName = <E extends AppEnv>(c: Context<E>, name: Name) =>
  `${https(c) ? '__Host-' : ''}et_${name}`;

export const readCookie = <E extends AppEnv>(c: Context<E>, name: Name) =>
  getCookie(c, cookieName(c, name));

export function writeCookie<E extends AppEnv>(
  c: Context<E>,
  name: Name,
  value: string,
  options: { maxAgeSeconds: number; httpOnly?: boolean },
) {
  setCookie(c, cookieName(c, name), value, {
    path: '/',
    secure: true,
    httpOnly: options.httpOnly ?? true,
    sameSite: 'Lax',
    maxAge: options.maxAgeSeconds,
  });
}

export const clearCookie = <E extends AppEnv>(c: Context<E>, name: Name) =>
  deleteCookie(c, cookieName(c, name), { path: '/', secure: true });
