import type { Context } from 'hono';
import type { AppEnv } from '../env';
import type { ApiError } from '../errors';
import { settings } from '../settings';
import { startSession } from './session';

/**
 * The end of a provider sign-in started from the dashboard (`ui=1` in the
 * sealed login flow): the same session the password form opens — the cookie
 * holds only the refresh token — then on to the page the user wanted.
 */
export function openDashboardSession(c: Context<AppEnv>, refreshToken: string, next: string) {
  startSession(c, refreshToken, settings(c.env).refreshTokenTtlSeconds);
  c.header('cache-control', 'no-store');
  return c.redirect(next, 303);
}

/**
 * A refused provider sign-in goes back to the sign-in page. Only the error
 * code travels in the URL (the page words it): a link cannot put arbitrary
 * text on edgetower's sign-in page.
 */
export function dashboardSignInFailed(c: Context<AppEnv>, error: ApiError) {
  c.header('cache-control', 'no-store');
  return c.redirect(`/ui/sign-in?failed=${encodeURIComponent(error.code)}`, 303);
}
