import { and, asc, eq, gt, inArray, or } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, roleBindings, workspaceClusters, workspaces } from '../schema';
import type { ClusterRecord } from './clusters';
import type { PageRequest } from './paging';
import { boundScopeIds } from './reach';

/** D1 binds at most 100 parameters per statement: id lists go in slices below that. */
const MAX_IDS_PER_QUERY = 90;

function slices<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IDS_PER_QUERY)
    out.push(items.slice(i, i + MAX_IDS_PER_QUERY));
  return out;
}

export interface GrantedCluster {
  id: string;
  name: string;
}

/** The clusters granted to each of the given workspaces, by name (workspace id -> sorted names). */
export async function grantedClusterNames(
  db: Database,
  workspaceIds: string[],
): Promise<Map<string, string[]>> {
  const parts = await Promise.all(
    slices(workspaceIds).map((ids) =>
      db
        .select({ workspaceId: workspaceClusters.workspaceId, name: clusters.name })
        .from(workspaceClusters)
        .innerJoin(clusters, eq(clusters.id, workspaceClusters.clusterId))
        .where(inArray(workspaceClusters.workspaceId, ids))
        .orderBy(asc(clusters.name)),
    ),
  );
  const byWorkspace = new Map<string, string[]>(workspaceIds.map((id) => [id, []]));
  for (const row of parts.flat()) byWorkspace.get(row.workspaceId)?.push(row.name);
  return byWorkspace;
}

/** The clusters granted to one workspace. */
export async function grantedClusters(
  db: Database,
  workspaceId: string,
): Promise<GrantedCluster[]> {
  return db
    .select({ id: clusters.id, name: clusters.name })
    .from(workspaceClusters)
    .innerJoin(clusters, eq(clusters.id, workspaceClusters.clusterId))
    .where(eq(workspaceClusters.workspaceId, workspaceId))
    .orderBy(asc(clusters.name));
}

/** The cluster called `name` if it is granted to the workspace; undefined when absent or not granted alike. */
export async function grantedClusterByName(
  db: Database,
  workspaceId: string,
  name: string,
): Promise<GrantedCluster | undefined> {
  return db
    .select({ id: clusters.id, name: clusters.name })
    .from(workspaceClusters)
    .innerJoin(clusters, eq(clusters.id, workspaceClusters.clusterId))
    .where(and(eq(workspaceClusters.workspaceId, workspaceId), eq(clusters.name, name)))
    .get();
}

/** A namespace placement left in its cluster when the cluster was revoked from the workspace. */
export interface Unplaced {
  cluster: string;
  namespace: string;
}

/**
 * Grants `add` and revokes `remove` (cluster ids) for a workspace in one
 * batch. Revoking deletes the workspace's placements in those clusters and
 * the role bindings at them, not the namespaces in the clusters: those stay,
 * unplaced, and are returned so the caller can say so.
 */
export async function changeGrants(
  db: Database,
  workspaceId: string,
  change: { add: string[]; remove: string[] },
  grantedBy: string,
): Promise<Unplaced[]> {
  const removing = slices(change.remove);
  const inWorkspace = eq(namespaces.workspaceId, workspaceId);
  const unplaced = (
    await Promise.all(
      removing.map((ids) =>
        db
          .select({ cluster: clusters.name, namespace: namespaces.name })
          .from(namespaces)
          .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
          .where(and(inWorkspace, inArray(namespaces.clusterId, ids))),
      ),
    )
  )
    .flat()
    .sort((a, b) => a.cluster.localeCompare(b.cluster) || a.namespace.localeCompare(b.namespace));
  const revokes = removing.flatMap((ids) => {
    const placements = and(inWorkspace, inArray(namespaces.clusterId, ids));
    return [
      db
        .delete(roleBindings)
        .where(
          and(
            eq(roleBindings.scopeType, 'namespace'),
            inArray(
              roleBindings.scopeId,
              db.select({ id: namespaces.id }).from(namespaces).where(placements),
            ),
          ),
        ),
      db.delete(namespaces).where(placements),
      db
        .delete(workspaceClusters)
        .where(
          and(
            eq(workspaceClusters.workspaceId, workspaceId),
            inArray(workspaceClusters.clusterId, ids),
          ),
        ),
    ];
  });
  const grants = change.add.map((clusterId) =>
    db
      .insert(workspaceClusters)
      .values({ workspaceId, clusterId, grantedBy })
      .onConflictDoNothing(),
  );
  const [first, ...rest] = [...grants, ...revokes];
  if (first) await db.batch([first, ...rest]);
  return unplaced;
}

/**
 * Subquery: ids of the clusters a user reaches as a tenant: those granted to
 * a workspace where they hold a role, and those holding a namespace where
 * they hold one (directly or through a group either way).
 */
export function clustersReachedAsTenant(db: Database, userId: string) {
  return db
    .select({ id: clusters.id })
    .from(clusters)
    .where(
      or(
        inArray(
          clusters.id,
          db
            .select({ id: workspaceClusters.clusterId })
            .from(workspaceClusters)
            .where(inArray(workspaceClusters.workspaceId, boundScopeIds(db, userId, 'workspace'))),
        ),
        inArray(
          clusters.id,
          db
            .select({ id: namespaces.clusterId })
            .from(namespaces)
            .where(inArray(namespaces.id, boundScopeIds(db, userId, 'namespace'))),
        ),
      ),
    );
}

/** What a tenant reaches in one cluster: its workspaces granted the cluster, its namespaces placed there. */
export interface TenantReach {
  workspaces: { id: string; name: string }[];
  namespaces: { id: string; name: string; workspaceId: string }[];
}

export async function tenantReach(
  db: Database,
  userId: string,
  clusterId: string,
): Promise<TenantReach> {
  const [granted, placed] = await db.batch([
    db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaceClusters)
      .innerJoin(workspaces, eq(workspaces.id, workspaceClusters.workspaceId))
      .where(
        and(
          eq(workspaceClusters.clusterId, clusterId),
          inArray(workspaceClusters.workspaceId, boundScopeIds(db, userId, 'workspace')),
        ),
      )
      .orderBy(asc(workspaces.name)),
    db
      .select({ id: namespaces.id, name: namespaces.name, workspaceId: namespaces.workspaceId })
      .from(namespaces)
      .where(
        and(
          eq(namespaces.clusterId, clusterId),
          inArray(namespaces.id, boundScopeIds(db, userId, 'namespace')),
        ),
      )
      .orderBy(asc(namespaces.name)),
  ]);
  return { workspaces: granted, namespaces: placed };
}

/**
 * One page of clusters by name for a caller without platform-wide read:
 * those of their cluster roles and those they reach as a tenant.
 */
export async function listClustersReachable(
  db: Database,
  page: PageRequest,
  userId: string,
): Promise<ClusterRecord[]> {
  return db
    .select()
    .from(clusters)
    .where(
      and(
        page.after !== undefined ? gt(clusters.name, page.after) : undefined,
        or(
          inArray(clusters.id, boundScopeIds(db, userId, 'cluster')),
          inArray(clusters.id, clustersReachedAsTenant(db, userId)),
        ),
      ),
    )
    .orderBy(asc(clusters.name))
    .limit(page.limit + 1);
}
