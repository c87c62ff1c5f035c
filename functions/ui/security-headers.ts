import type { MiddlewareHandler } from 'hono';
import type { UiEnv } from './ui-env';

/**
 * Everything the dashboard serves comes from this origin; no inline script
 * or style anywhere (the only script and stylesheet are static routes), so
 * the policy can be strict. Forms may only post here; no framing.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "object-src 'none'",
].join('; ');

/** CSP on every dashboard response; pages are per user, so never stored by caches. */
export const uiHeaders: MiddlewareHandler<UiEnv> = async function uiHeaders(c, next) {
  await next();
  c.header('content-security-policy', CONTENT_SECURITY_POLICY);
  if (!c.res.headers.has('cache-control')) c.header('cache-control', 'private, no-store');
  c.header('vary', 'cookie, accept-language');
};
