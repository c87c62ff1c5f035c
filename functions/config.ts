import type { Vars } from './bindings';

/** Typed settings read from the worker's vars, with the defaults a fresh install uses. */
export interface Settings {
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  loginMaxFailures: number;
  loginFailureWindowSeconds: number;
  loginLockoutSeconds: number;
  signingKeyRotationDays: number;
  /** How long alert shards keep resolved alerts for the "recently resolved" list. */
  resolvedAlertRetentionSeconds: number;
}

const positiveInt = (raw: string | undefined, fallback: number): number => {
  const value = Number(raw);
  return Number.isInteger(value) && value > 0 ? value : fallback;
};

const cache = new WeakMap<Vars, Settings>();

export function settings(env: Vars): Settings {
  let s = cache.get(env);
  if (!s) {
    s = {
      accessTokenTtlSeconds: positiveInt(env.ACCESS_TOKEN_TTL_SECONDS, 7200),
      refreshTokenTtlSeconds: positiveInt(env.REFRESH_TOKEN_TTL_SECONDS, 30 * 86400),
      loginMaxFailures: positiveInt(env.LOGIN_MAX_FAILURES, 5),
      loginFailureWindowSeconds: positiveInt(env.LOGIN_FAILURE_WINDOW_SECONDS, 600),
      loginLockoutSeconds: positiveInt(env.LOGIN_LOCKOUT_SECONDS, 600),
      signingKeyRotationDays: positiveInt(env.SIGNING_KEY_ROTATION_DAYS, 30),
      resolvedAlertRetentionSeconds: positiveInt(env.RESOLVED_ALERT_RETENTION_SECONDS, 86400),
    };
    cache.set(env, s);
  }
  return s;
}

/** The issuer URL: PUBLIC_URL when set, else the origin the request came in on. */
export function issuerUrl(env: Vars, requestUrl: string): string {
  const configured = env.PUBLIC_URL?.trim();
  return (configured || new URL(requestUrl).origin).replace(/\/+$/, '');
}
