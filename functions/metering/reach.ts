import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import {
  allClusterNames,
  clusterNamesByIds,
  type MeteringPlacement,
  placementsByIds,
  placementsOfWorkspaces,
} from '../../db/queries/metering';
import { can, platformScope } from '../iam/authorize';

/** Metering is read per cluster store; a tenant sees only its workspaces and namespaces there. */
export interface ClusterReach {
  clusterId: string;
  clusterName: string;
  /** Absent: the whole cluster (platform and cluster readers). */
  tenant?: { workspaces: string[]; namespaces: string[] };
}

export type MeteringResource = 'metering' | 'bills';

/**
 * Every cluster store the caller may read `resource` from, with the tenant
 * filter that applies there: platform readers read everything, cluster
 * readers their clusters, workspace readers their workspaces in every
 * cluster the workspace has namespaces in, namespace readers their
 * namespaces. All through the one can().
 */
export async function meteringReach(
  db: Database,
  principal: Principal,
  resource: MeteringResource,
): Promise<Map<string, ClusterReach>> {
  const reach = new Map<string, ClusterReach>();
  if (can(principal, 'get', resource, platformScope)) {
    for (const c of await allClusterNames(db))
      reach.set(c.name, { clusterId: c.id, clusterName: c.name });
    return reach;
  }
  const ids = (type: 'cluster' | 'workspace' | 'namespace') =>
    principal.bindings.filter((b) => b.scopeType === type).map((b) => b.scopeId);
  const wholeClusters = ids('cluster').filter((clusterId) =>
    can(principal, 'get', resource, { level: 'cluster', clusterId }),
  );
  const workspaceIds = ids('workspace').filter((workspaceId) =>
    can(principal, 'get', resource, { level: 'workspace', workspaceId }),
  );
  const [clusterRows, workspacePlacements, namespacePlacements] = await Promise.all([
    clusterNamesByIds(db, [...new Set(wholeClusters)]),
    placementsOfWorkspaces(db, [...new Set(workspaceIds)]),
    placementsByIds(db, [...new Set(ids('namespace'))]),
  ]);
  for (const c of clusterRows) reach.set(c.name, { clusterId: c.id, clusterName: c.name });
  const tenantOf = (p: MeteringPlacement) => {
    let entry = reach.get(p.clusterName);
    if (!entry) {
      entry = {
        clusterId: p.clusterId,
        clusterName: p.clusterName,
        tenant: { workspaces: [], namespaces: [] },
      };
      reach.set(p.clusterName, entry);
    }
    return entry.tenant;
  };
  for (const p of workspacePlacements) {
    const tenant = tenantOf(p);
    if (tenant && !tenant.workspaces.includes(p.workspace)) tenant.workspaces.push(p.workspace);
  }
  for (const p of namespacePlacements) {
    const scope = {
      level: 'namespace',
      namespaceId: p.namespaceId,
      workspaceId: p.workspaceId,
      clusterId: p.clusterId,
    } as const;
    if (!can(principal, 'get', resource, scope)) continue;
    const tenant = tenantOf(p);
    if (tenant && !tenant.namespaces.includes(p.namespace)) tenant.namespaces.push(p.namespace);
  }
  return reach;
}

/** Whether the reach lets the caller read workspace `name` in this cluster. */
export const readsWorkspace = (entry: ClusterReach, name: string) =>
  !entry.tenant || entry.tenant.workspaces.includes(name);
