import type { ScopeType } from '../../db/schema/role-bindings';
import type { PolicyRule } from '../../db/schema/roles';
import type { PlatformRole } from '../../db/schema/users';

/** A role binding of the caller (directly or through a group) with its rules resolved. */
export interface EffectiveBinding {
  scopeType: ScopeType;
  scopeId: string;
  role: string;
  rules: PolicyRule[];
  /** Set when the binding comes through a group: `<workspace>:<group>`. */
  viaGroup?: string;
}

/** Who is calling, established once per request by the authenticate middleware. */
export interface Principal {
  userId: string;
  username: string;
  platformRole: PlatformRole;
  /**
   * The user's groups as `edgetower:<workspace>:<group>` (kubeGroupName; group
   * names are unique only per workspace): the `groups` claim, and
   * impersonation groups in clusters.
   */
  groups: string[];
  bindings: EffectiveBinding[];
  via: 'access-token' | 'api-token';
  /** API-token narrowing as `verb:resource` pairs; empty means the owner's full rights. */
  scopes: string[];
  tokenId?: string;
}
