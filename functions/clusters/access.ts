import type { Database } from '../../db/client';
import {
  type ClusterRecord,
  clusterByName,
  placementsReachable,
  workspaceNames,
} from '../../db/queries/clusters';
import type { Principal } from '../auth/principal';
import { forbidden, notFound } from '../errors';
import { can, canSee, type Scope } from '../iam/authorize';
import type { Impersonation } from '../tunnel/protocol';

/** What the caller may see of one cluster. */
export interface ClusterAccess {
  cluster: ClusterRecord;
  scope: Scope;
  /** Cluster-wide read (platform roles, cluster roles): no tenant filter applies. */
  clusterWide: boolean;
  /** Otherwise: workspaces (by name) and namespaces (by name) the caller reaches in this cluster. */
  workspaces: string[];
  namespaces: string[];
}

const bindingIds = (principal: Principal, type: 'workspace' | 'namespace') =>
  principal.bindings.filter((b) => b.scopeType === type).map((b) => b.scopeId);

/**
 * The cluster `name` if the caller may know it exists: a platform or cluster
 * role, or a workspace / namespace role reaching a namespace placed in it.
 * Anything else is 404, the same as a cluster that does not exist.
 */
export async function clusterAccess(
  db: Database,
  principal: Principal,
  name: string,
): Promise<ClusterAccess> {
  const cluster = await clusterByName(db, name);
  if (!cluster) throw notFound(`Cluster "${name}"`);
  const scope: Scope = { level: 'cluster', clusterId: cluster.id };
  if (canSee(principal, scope))
    return { cluster, scope, clusterWide: true, workspaces: [], namespaces: [] };
  const workspaceIds = bindingIds(principal, 'workspace');
  const placements = await placementsReachable(
    db,
    { workspaceIds, namespaceIds: bindingIds(principal, 'namespace') },
    cluster.id,
  );
  if (placements.length === 0) throw notFound(`Cluster "${name}"`);
  // Workspaces the caller belongs to, by name, match the namespaces' workspace label too.
  const workspaces = new Set(await workspaceNames(db, workspaceIds));
  for (const p of placements) workspaces.add(p.workspace);
  return {
    cluster,
    scope,
    clusterWide: false,
    workspaces: [...workspaces].sort(),
    namespaces: [...new Set(placements.map((p) => p.namespace))].sort(),
  };
}

/** Cluster-wide `verb` on `resource`, else 403 (the caller already knows the cluster exists). */
export function requireClusterWide(
  principal: Principal,
  access: ClusterAccess,
  verb: string,
  resource: string,
): void {
  if (!can(principal, verb, resource, access.scope))
    throw forbidden(`You may not ${verb} ${resource} of this cluster.`);
}

/** The tenant filter for namespace-scoped inventory, or undefined for cluster-wide readers. */
export function inventoryFilter(
  principal: Principal,
  access: ClusterAccess,
  resource: string,
): { workspaces: string[]; names: string[] } | undefined {
  if (access.clusterWide && can(principal, 'list', resource, access.scope)) return undefined;
  return { workspaces: access.workspaces, names: access.namespaces };
}

/**
 * Who the agent impersonates in the member cluster: the caller, their
 * groups, and the admin group for platform admins and this cluster's admins
 * (so the member cluster's own RBAC decides everything else).
 */
export function impersonationFor(
  principal: Principal,
  access: ClusterAccess,
  adminGroup: string,
): Impersonation {
  const groups = new Set(principal.groups);
  const isAdmin =
    principal.platformRole === 'platform-admin' ||
    principal.bindings.some(
      (b) =>
        b.scopeType === 'cluster' && b.scopeId === access.cluster.id && b.role === 'cluster-admin',
    );
  if (isAdmin) groups.add(adminGroup);
  return { user: principal.username, groups: [...groups].sort() };
}
