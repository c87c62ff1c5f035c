import type { Database } from '../db/client';
import type { Principal } from '../db/principal';
import type { AlertGroups } from './alerting/alert-groups';
import type { DeliveryMessage } from './alerting/route';
import type { MeteringStore } from './metering/metering-store';
import type { ClusterTunnel } from './tunnel/cluster-tunnel';

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
  /** Seconds alert shards keep resolved alerts for GET /api/v1/alerts/resolved (default 86400). */
  RESOLVED_ALERT_RETENTION_SECONDS?: string;
  /** One ClusterTunnel Durable Object per cluster (agents' WebSockets, inventory). */
  CLUSTER_TUNNEL: DurableObjectNamespace<ClusterTunnel>;
  /** Seconds of silence after which a cluster's agents count as gone (default 45). */
  TUNNEL_LIVENESS_SECONDS?: string;
  /** Seconds the edge waits for the head of a proxied response (default 60). */
  TUNNEL_RESPONSE_TIMEOUT_SECONDS?: string;
  /** Kubernetes group platform admins and cluster admins are impersonated with (default system:masters). */
  KUBE_ADMIN_GROUP?: string;
  /** "true": identity providers may live on private/loopback addresses (local dev, tests). */
  ALLOW_PRIVATE_IDP_HOSTS?: string;
  /** Alert state and notification grouping, one object per cluster shard. */
  ALERT_GROUPS: DurableObjectNamespace<AlertGroups>;
  /** Metering facts, one object per cluster (name `cluster:<clusterName>`). */
  METERING_STORE: DurableObjectNamespace<MeteringStore>;
  /** Notification deliveries: one message per (notification, channel). */
  NOTIFICATIONS: Queue<DeliveryMessage>;
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

export interface AppVariables {
  requestId: string;
  db: Database;
  /** Set by the authenticate middleware on every /api route. */
  principal: Principal;
  /** What the audit middleware records for this request; handlers fill in names. */
  audit: AuditDraft;
  /**
   * Set by a write route that cannot change any user, group or binding (alert
   * intake, posted every evaluation interval): the isolate's principal cache
   * survives it. Every other write clears the cache.
   */
  principalsUnchanged?: boolean;
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
