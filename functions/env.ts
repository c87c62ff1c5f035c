import type { Database } from '../db/client';
import type { Principal } from './auth/principal';

/** Bindings and vars from wrangler.toml and secrets (.dev.vars locally). */
export interface Env {
  DB: D1Database;
  /** Password for the bootstrap `admin` user, used once on an empty database. */
  ADMIN_PASSWORD?: string;
  /** Base64 of 32 random bytes; encrypts secrets at rest (AES-GCM). */
  SECRETS_KEY?: string;
  PUBLIC_URL?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_SECONDS?: string;
  LOGIN_MAX_FAILURES?: string;
  LOGIN_FAILURE_WINDOW_SECONDS?: string;
  LOGIN_LOCKOUT_SECONDS?: string;
  SIGNING_KEY_ROTATION_DAYS?: string;
}

export interface AppVariables {
  requestId: string;
  db: Database;
  /** Set by the authenticate middleware on every /api route. */
  principal: Principal;
  /** What the audit middleware records for this request; handlers fill in names. */
  audit: AuditDraft;
}

export interface AuditDraft {
  resource?: string;
  name?: string;
  workspace?: string;
  cluster?: string;
  namespace?: string;
  /** Set by handlers that record their own event (logins) or must not be audited. */
  skip?: boolean;
}

export interface AppEnv {
  Bindings: Env;
  Variables: AppVariables;
}
