import type { Database } from '../db/client';
import type { Principal } from '../db/principal';
import type { AlertGroupsBinding } from './alerting/alert-groups';
import type { BaseEnv } from './bindings';
import type { MeteringStoreBinding } from './metering/metering-store';
import type { ClusterTunnelBinding } from './tunnel/cluster-tunnel';

/**
 * The whole environment: vars and plain bindings (bindings.ts) with every
 * Durable Object namespace. For routes and the worker entry; modules a
 * Durable Object imports take BaseEnv plus the bindings they call.
 */
export interface Env
  extends BaseEnv,
    AlertGroupsBinding,
    MeteringStoreBinding,
    ClusterTunnelBinding {}

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
