import type { DeliveryMessage } from './alerting/route';

/*
 * The worker's environment in layers, so no module below a Durable Object
 * has to name the Durable Object classes: Vars (strings) and BaseEnv (the
 * plain bindings) here; each Durable Object module exports its own binding
 * (AlertGroupsBinding, MeteringStoreBinding, ClusterTunnelBinding); env.ts
 * joins them into the whole Env that routes and the worker entry use.
 */

/** The vars of wrangler.toml and the secrets (.dev.vars locally): strings, parsed once by settings(). */
export interface Vars {
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
  /** Seconds alert shards keep resolved alerts for GET /api/v1/alerts/resolved (default 86400). */
  RESOLVED_ALERT_RETENTION_SECONDS?: string;
  /** Seconds of silence after which a cluster's agents count as gone (default 45). */
  TUNNEL_LIVENESS_SECONDS?: string;
  /** Seconds the edge waits for the head of a proxied response (default 60). */
  TUNNEL_RESPONSE_TIMEOUT_SECONDS?: string;
  /** Kubernetes group platform admins and cluster admins are impersonated with (default system:masters). */
  KUBE_ADMIN_GROUP?: string;
  /** "true": identity providers may live on private/loopback addresses (local dev, tests). */
  ALLOW_PRIVATE_IDP_HOSTS?: string;
  /** "true" lets webhook targets be private or loopback addresses (local development only). */
  ALLOW_PRIVATE_WEBHOOKS?: string;
  /** Seconds without a live agent before the ClusterDisconnected alert fires (default 60). */
  CLUSTER_DISCONNECT_ALERT_SECONDS?: string;
  /** Seconds a node may be not ready before the NodeNotReady alert fires (default 60). */
  NODE_NOT_READY_ALERT_SECONDS?: string;
  /** Seconds an edge node (KubeEdge) may be not ready before EdgeNodeOffline fires (default 60). */
  EDGE_NODE_OFFLINE_ALERT_SECONDS?: string;
  /** First retry delay of a failed notification delivery, doubling per attempt (default 5). */
  NOTIFY_RETRY_BASE_SECONDS?: string;
}

/** The bindings every layer may use: D1 and the notification queue, with the vars. */
export interface BaseEnv extends Vars {
  DB: D1Database;
  /** Notification deliveries: one message per (notification, channel). */
  NOTIFICATIONS: Queue<DeliveryMessage>;
}
