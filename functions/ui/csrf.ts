import type { Context, MiddlewareHandler } from 'hono';
import { randomToken, timingSafeEqual } from '../../lib/crypto/hash';
import { ApiError } from '../errors';
import { settings } from '../settings';
import { readCookie, writeCookie } from './cookies';
import type { UiEnv } from './ui-env';

const CSRF_FIELD = '_csrf';
const YEAR = 365 * 86400;

const encoder = new TextEncoder();
const sameToken = (a: string, b: string) => timingSafeEqual(encoder.encode(a), encoder.encode(b));

const refused = (why: string) =>
  new ApiError(403, `Form refused: ${why}. Reload the page and try again.`, {
    code: 'csrf_failed',
  });

/** A request's own origin, honouring PUBLIC_URL behind a proxy. */
const originOf = (c: Context<UiEnv>) => new URL(settings(c.env).publicUrl ?? c.req.url).origin;

/**
 * CSRF protection for every dashboard form, two checks: the browser's
 * Origin (or Sec-Fetch-Site) must be this site, and the form must carry the
 * token of an HttpOnly, SameSite=Lax cookie (double submit; the `__Host-`
 * prefix on https keeps subdomains from planting one). GETs only make sure
 * the cookie exists so pages can put its value into their forms.
 */
export const csrf: MiddlewareHandler<UiEnv> = async function csrf(c, next) {
  if (c.req.path.startsWith('/ui/assets/')) return next();
  let token = readCookie(c, 'csrf');
  if (!token || !/^[\w-]{32,64}$/.test(token)) {
    token = randomToken('', 32);
    writeCookie(c, 'csrf', token, { maxAgeSeconds: YEAR });
  }
  c.set('csrf', token);
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    if (origin !== undefined && origin !== 'null' && origin !== originOf(c))
      throw refused(`it came from ${origin}, not ${originOf(c)}`);
    if (origin === 'null' || (site !== undefined && site !== 'same-origin' && site !== 'none'))
      throw refused('it came from another site');
    const type = c.req.header('content-type') ?? '';
    if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type))
      throw new ApiError(415, `Send a form (got "${type || 'none'}").`);
    const body = await c.req.parseBody();
    const sent = body[CSRF_FIELD];
    if (typeof sent !== 'string' || !sameToken(sent, readCookie(c, 'csrf') ?? ''))
      throw refused('its security token is missing or stale');
  }
  await next();
};

export { CSRF_FIELD };
