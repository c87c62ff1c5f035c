import { z } from 'zod';
import type { Vars } from './bindings';

/*
 * The one place the worker's vars are read: every var of wrangler.toml is
 * parsed here once per env object, with the defaults the README lists. A
 * value that does not parse falls back to its default rather than failing
 * requests. Secrets (ADMIN_PASSWORD, SECRETS_KEY) are not settings: their
 * users read them where they need them.
 */

/** A whole number of seconds (or days, or attempts) above zero. */
const positiveInt = (fallback: number) => z.coerce.number().int().positive().catch(fallback);
/** A duration in seconds above zero; fractions allowed (tests shorten them). */
const positiveSeconds = (fallback: number) => z.coerce.number().positive().catch(fallback);
/** "true" or "1" turns a flag on; anything else leaves it off. */
const flag = z
  .string()
  .optional()
  .catch(undefined)
  .transform((value) => value === 'true' || value === '1');
/** A trimmed string; empty counts as unset. */
const text = z
  .string()
  .optional()
  .catch(undefined)
  .transform((value) => value?.trim() || undefined);

const settingsSchema = z
  .object({
    PUBLIC_URL: text,
    ACCESS_TOKEN_TTL_SECONDS: positiveInt(7200),
    REFRESH_TOKEN_TTL_SECONDS: positiveInt(30 * 86400),
    LOGIN_MAX_FAILURES: positiveInt(5),
    LOGIN_FAILURE_WINDOW_SECONDS: positiveInt(600),
    LOGIN_LOCKOUT_SECONDS: positiveInt(600),
    SIGNING_KEY_ROTATION_DAYS: positiveInt(30),
    RESOLVED_ALERT_RETENTION_SECONDS: positiveInt(86400),
    TUNNEL_LIVENESS_SECONDS: positiveSeconds(45),
    TUNNEL_RESPONSE_TIMEOUT_SECONDS: positiveSeconds(60),
    KUBE_ADMIN_GROUP: text,
    ALLOW_PRIVATE_IDP_HOSTS: flag,
    ALLOW_PRIVATE_WEBHOOKS: flag,
    CLUSTER_DISCONNECT_ALERT_SECONDS: positiveSeconds(60),
    NODE_NOT_READY_ALERT_SECONDS: positiveSeconds(60),
    EDGE_NODE_OFFLINE_ALERT_SECONDS: positiveSeconds(60),
    NOTIFY_RETRY_BASE_SECONDS: positiveSeconds(5),
  })
  .transform((vars) => ({
    /** PUBLIC_URL, when set: the issuer and the dashboard's own origin behind a proxy. */
    publicUrl: vars.PUBLIC_URL,
    accessTokenTtlSeconds: vars.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: vars.REFRESH_TOKEN_TTL_SECONDS,
    loginMaxFailures: vars.LOGIN_MAX_FAILURES,
    loginFailureWindowSeconds: vars.LOGIN_FAILURE_WINDOW_SECONDS,
    loginLockoutSeconds: vars.LOGIN_LOCKOUT_SECONDS,
    signingKeyRotationDays: vars.SIGNING_KEY_ROTATION_DAYS,
    /** How long alert shards keep resolved alerts for the "recently resolved" list. */
    resolvedAlertRetentionSeconds: vars.RESOLVED_ALERT_RETENTION_SECONDS,
    /** A cluster is disconnected this long after its last live agent went silent. */
    tunnelLivenessSeconds: vars.TUNNEL_LIVENESS_SECONDS,
    /** How long the edge waits for the response head of a proxied request. */
    tunnelResponseTimeoutSeconds: vars.TUNNEL_RESPONSE_TIMEOUT_SECONDS,
    /** Kubernetes group that platform admins and cluster admins are impersonated with. */
    kubeAdminGroup: vars.KUBE_ADMIN_GROUP ?? 'system:masters',
    allowPrivateIdpHosts: vars.ALLOW_PRIVATE_IDP_HOSTS,
    allowPrivateWebhooks: vars.ALLOW_PRIVATE_WEBHOOKS,
    clusterDisconnectAlertSeconds: vars.CLUSTER_DISCONNECT_ALERT_SECONDS,
    nodeNotReadyAlertSeconds: vars.NODE_NOT_READY_ALERT_SECONDS,
    edgeNodeOfflineAlertSeconds: vars.EDGE_NODE_OFFLINE_ALERT_SECONDS,
    /** First retry delay of a failed notification delivery, doubling per attempt. */
    notifyRetryBaseSeconds: vars.NOTIFY_RETRY_BASE_SECONDS,
  }));

/** Typed settings read from the worker's vars, with the defaults a fresh install uses. */
export type Settings = z.output<typeof settingsSchema>;

const cache = new WeakMap<Partial<Vars>, Settings>();

/** The settings of `env`, parsed on first use and kept for that env object. */
export function settings(env: Partial<Vars>): Settings {
  let parsed = cache.get(env);
  if (!parsed) {
    parsed = settingsSchema.parse({ ...env });
    cache.set(env, parsed);
  }
  return parsed;
}

/** The issuer URL: PUBLIC_URL when set, else the origin the request came in on. */
export function issuerUrl(env: Partial<Vars>, requestUrl: string): string {
  return (settings(env).publicUrl || new URL(requestUrl).origin).replace(/\/+$/, '');
}
