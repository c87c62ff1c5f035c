import { and, asc, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, roleBindings, workspaces } from '../schema';
import type { PageRequest } from './paging';

export type ClusterRecord = typeof clusters.$inferSelect;

export async function insertCluster(
  db: Database,
  input: {
    name: string;
    description?: string | null;
    labels: Record<string, string>;
    joinTokenHash: string;
    createdBy: string;
  },
): Promise<ClusterRecord> {
  const [row] = await db
    .insert(clusters)
    .values({ ...input, joinTokenRotatedAt: new Date() })
    .returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function clusterByName(
  db: Database,
  name: string,
): Promise<ClusterRecord | undefined> {
  return db.select().from(clusters).where(eq(clusters.name, name)).get();
}

/** The cluster whose agents authenticate with the token hashing to `tokenHash`. */
export async function clusterByJoinTokenHash(
  db: Database,
  tokenHash: string,
): Promise<Pick<ClusterRecord, 'id' | 'name'> | undefined> {
  return db
    .select({ id: clusters.id, name: clusters.name })
    .from(clusters)
    .where(eq(clusters.joinTokenHash, tokenHash))
    .get();
}

/** One page of clusters by name; `onlyIds` (when given) restricts to those clusters. */
export async function listClusterRecords(
  db: Database,
  page: PageRequest,
  onlyIds?: string[],
): Promise<ClusterRecord[]> {
  if (onlyIds && onlyIds.length === 0) return [];
  const conditions: (SQL | undefined)[] = [];
  if (page.after !== undefined) conditions.push(gt(clusters.name, page.after));
  if (onlyIds) conditions.push(inArray(clusters.id, onlyIds));
  return db
    .select()
    .from(clusters)
    .where(and(...conditions))
    .orderBy(asc(clusters.name))
    .limit(page.limit + 1);
}

export async function replaceJoinToken(db: Database, id: string, tokenHash: string): Promise<void> {
  await db
    .update(clusters)
    .set({ joinTokenHash: tokenHash, joinTokenRotatedAt: new Date() })
    .where(eq(clusters.id, id));
}

/** Deletes a cluster, its namespace placements and every role binding at them, in one batch. */
export async function deleteClusterRecord(db: Database, id: string): Promise<void> {
  const placed = db
    .select({ id: namespaces.id })
    .from(namespaces)
    .where(eq(namespaces.clusterId, id));
  await db.batch([
    db
      .delete(roleBindings)
      .where(and(eq(roleBindings.scopeType, 'namespace'), inArray(roleBindings.scopeId, placed))),
    db
      .delete(roleBindings)
      .where(and(eq(roleBindings.scopeType, 'cluster'), eq(roleBindings.scopeId, id))),
    db.delete(namespaces).where(eq(namespaces.clusterId, id)),
    db.delete(clusters).where(eq(clusters.id, id)),
  ]);
}

/** Namespace placements reachable through workspace or namespace roles, optionally in one cluster. */
export interface Placement {
  clusterId: string;
  namespace: string;
  workspace: string;
}

export async function placementsReachable(
  db: Database,
  reach: { workspaceIds: string[]; namespaceIds: string[] },
  clusterId?: string,
): Promise<Placement[]> {
  const via: SQL[] = [];
  if (reach.workspaceIds.length) via.push(inArray(namespaces.workspaceId, reach.workspaceIds));
  if (reach.namespaceIds.length) via.push(inArray(namespaces.id, reach.namespaceIds));
  if (via.length === 0) return [];
  return db
    .select({
      clusterId: namespaces.clusterId,
      namespace: namespaces.name,
      workspace: workspaces.name,
    })
    .from(namespaces)
    .innerJoin(workspaces, eq(workspaces.id, namespaces.workspaceId))
    .where(and(or(...via), clusterId ? eq(namespaces.clusterId, clusterId) : undefined));
}

/** Names of the given workspaces. */
export async function workspaceNames(db: Database, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ name: workspaces.name })
    .from(workspaces)
    .where(inArray(workspaces.id, ids));
  return rows.map((r) => r.name);
}

/** The id of the placement of namespace `name` in a cluster, if recorded. */
export async function placementIdIn(
  db: Database,
  clusterId: string,
  name: string,
): Promise<string | undefined> {
  const row = await db
    .select({ id: namespaces.id })
    .from(namespaces)
    .where(and(eq(namespaces.clusterId, clusterId), eq(namespaces.name, name)))
    .get();
  return row?.id;
}
