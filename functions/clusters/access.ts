import type { Database } from '../../db/client';
import { type ClusterRecord, clusterByName } from '../../db/queries/clusters';
import { type TenantReach, tenantReach } from '../../db/queries/workspace-clusters';
import type { Principal } from '../auth/principal';
import { forbidden, notFound } from '../errors';
import { can, canSee, type Scope } from '../iam/authorize';
import type { Impersonation } from '../tunnel/protocol';

/** What the caller may see of one cluster. */
export interface ClusterAccess {
  cluster: ClusterRecord;
  scope: Scope;
  /** Cluster-wide read (platform roles, cluster roles): no tenant filter applies, the full view. */
  clusterWide: boolean;
  /**
   * Otherwise (a tenant, who sees the reduced view): their workspaces granted
   * this cluster and their namespaces placed in it.
   */
  tenant: TenantReach;
}

const noReach: TenantReach = { workspaces: [], namespaces: [] };

/**
 * The cluster `name` if the caller may know it exists: a platform or cluster
 * role, a role in a workspace the cluster is granted to, or a role in a
 * namespace placed in it. Anything else is 404, the same as a cluster that
 * does not exist.
 */
export async function clusterAccess(
  db: Database,
  principal: Principal,
  name: string,
): Promise<ClusterAccess> {
  const cluster = await clusterByName(db, name);
  if (!cluster) throw notFound(`Cluster "${name}"`);
  const scope: Scope = { level: 'cluster', clusterId: cluster.id };
  if (canSee(principal, scope)) return { cluster, scope, clusterWide: true, tenant: noReach };
  const tenant = await tenantReach(db, principal.userId, cluster.id);
  if (tenant.workspaces.length === 0 && tenant.namespaces.length === 0)
    throw notFound(`Cluster "${name}"`);
  return { cluster, scope, clusterWide: false, tenant };
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

/**
 * The tenant filter for namespace-scoped inventory, or undefined for
 * cluster-wide readers: namespaces labelled with a workspace where the
 * caller may list `resource` (a workspace-regular member may not), and
 * namespaces placed here where the caller holds a role that lists it.
 */
export function inventoryFilter(
  principal: Principal,
  access: ClusterAccess,
  resource: string,
): { workspaces: string[]; names: string[] } | undefined {
  if (access.clusterWide && can(principal, 'list', resource, access.scope)) return undefined;
  const clusterId = access.cluster.id;
  return {
    workspaces: access.tenant.workspaces
      .filter((w) => can(principal, 'list', resource, { level: 'workspace', workspaceId: w.id }))
      .map((w) => w.name),
    names: access.tenant.namespaces
      .filter((ns) =>
        can(principal, 'list', resource, {
          level: 'namespace',
          namespaceId: ns.id,
          workspaceId: ns.workspaceId,
          clusterId,
        }),
      )
      .map((ns) => ns.name),
  };
}

/**
 * Who the agent impersonates in the member cluster: the caller, their
 * groups (`edgetower:<workspace>:<group>`), and the admin group for platform
 * admins and this cluster's admins only (so the member cluster's own RBAC
 * decides everything else).
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
