import type { ExecutionContext } from 'hono';
import type { AppVariables, Env } from '../env';
import type { I18n } from './i18n';

/** The signed-in dashboard session behind this request. */
export interface UiSession {
  /** The opaque refresh token the session cookie holds (server-side reference). */
  token: string;
  userId: string;
  expiresAt: Date;
}

export interface UiVariables extends AppVariables {
  /** Set by requireSession on every page behind sign-in. */
  session: UiSession;
  /** The request's language (cookie, else Accept-Language). */
  i18n: I18n;
  /** This browser's CSRF token, put into every form. */
  csrf: string;
}

export interface UiEnv {
  Bindings: Env;
  Variables: UiVariables;
}

/**
 * The worker's own fetch handler. The dashboard calls the API in-process
 * through it, as the signed-in user, so every page goes through the same
 * routes, authorization and audit as any other client.
 */
export type ApiFetch = (
  request: Request,
  env: Env,
  ctx?: ExecutionContext,
) => Response | Promise<Response>;
