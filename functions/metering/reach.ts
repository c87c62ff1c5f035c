import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import {
  allClusterNames,
  clusterNamesByIds,
  grantsOfWorkspaces,
  type MeteringCluster,
  placementsByIds,
  placementsOfWorkspaces,
} from '../../db/queries/metering';
import { can, platformScope } from '../iam/authorize';
import type { Since } from './store-query-types';

/** Metering is read per cluster store; a tenant sees only its workspaces and namespaces there. */
export interface ClusterReach {
  clusterId: string;
  clusterName: string;
  /** Unix seconds of the cluster's registration: its legacy name-keyed store counts from then. */
  clusterCreatedAt: number;
  /**
   * Absent: the whole cluster (platform and cluster readers). Each workspace
   * and namespace counts from its creation (placement) on, so a re-created
   * one never reads a predecessor's facts.
   */
  tenant?: { workspaces: Since[]; namespaces: Since[] };
  /** A named workspace's reads: its series count from its creation on, whoever asks. */
  workspaceSince?: Since[];
}

export type MeteringResource = 'metering' | 'bills';

export const unixSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

const wholeCluster = (c: MeteringCluster): ClusterReach => ({
  clusterId: c.id,
  clusterName: c.name,
  clusterCreatedAt: unixSeconds(c.createdAt),
});

/**
 * Every cluster store the caller may read `resource` from, with the tenant
 * filter that applies there: platform readers read everything, cluster
 * readers their clusters, workspace readers their workspaces in every
 * cluster granted to the workspace or holding one of its namespaces,
 * namespace readers their namespaces. All through the one can().
 */
export async function meteringReach(
  db: Database,
  principal: Principal,
  resource: MeteringResource,
): Promise<Map<string, ClusterReach>> {
  const reach = new Map<string, ClusterReach>();
  if (can(principal, 'get', resource, platformScope)) {
    for (const c of await allClusterNames(db)) reach.set(c.name, wholeCluster(c));
    return reach;
  }
  const ids = (type: 'cluster' | 'workspace' | 'namespace') =>
    principal.bindings.filter((b) => b.scopeType === type).map((b) => b.scopeId);
  const wholeClusters = ids('cluster').filter((clusterId) =>
    can(principal, 'get', resource, { level: 'cluster', clusterId }),
  );
  const workspaceIds = [
    ...new Set(
      ids('workspace').filter((workspaceId) =>
        can(principal, 'get', resource, { level: 'workspace', workspaceId }),
      ),
    ),
  ];
  const [clusterRows, workspacePlacements, workspaceGrants, namespacePlacements] =
    await Promise.all([
      clusterNamesByIds(db, [...new Set(wholeClusters)]),
      placementsOfWorkspaces(db, workspaceIds),
      grantsOfWorkspaces(db, workspaceIds),
      placementsByIds(db, [...new Set(ids('namespace'))]),
    ]);
  for (const c of clusterRows) reach.set(c.name, wholeCluster(c));
  const tenantOf = (p: { clusterId: string; clusterName: string; clusterCreatedAt: Date }) => {
    let entry = reach.get(p.clusterName);
    if (!entry) {
      entry = {
        clusterId: p.clusterId,
        clusterName: p.clusterName,
        clusterCreatedAt: unixSeconds(p.clusterCreatedAt),
        tenant: { workspaces: [], namespaces: [] },
      };
      reach.set(p.clusterName, entry);
    }
    return entry.tenant;
  };
  for (const p of [...workspaceGrants, ...workspacePlacements]) {
    const tenant = tenantOf(p);
    if (tenant && !tenant.workspaces.some((w) => w.name === p.workspace))
      tenant.workspaces.push({ name: p.workspace, since: unixSeconds(p.workspaceCreatedAt) });
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
    if (tenant && !tenant.namespaces.some((n) => n.name === p.namespace))
      tenant.namespaces.push({ name: p.namespace, since: unixSeconds(p.namespaceCreatedAt) });
  }
  return reach;
}

/** Whether the reach lets the caller read workspace `name` in this cluster. */
export const readsWorkspace = (entry: ClusterReach, name: string) =>
  !entry.tenant || entry.tenant.workspaces.some((w) => w.name === name);
