import { and, asc, eq, gt, inArray, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, roleBindings } from '../schema';
import type { PageRequest } from './paging';

export type ClusterRecord = typeof clusters.$inferSelect;

/** D1 binds at most 100 parameters per statement: id lists go in slices below that. */
const MAX_IDS_PER_QUERY = 90;

function slices<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_IDS_PER_QUERY)
    out.push(items.slice(i, i + MAX_IDS_PER_QUERY));
  return out;
}

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
  const after = page.after !== undefined ? gt(clusters.name, page.after) : undefined;
  const pageOf = (restrict?: SQL) =>
    db
      .select()
      .from(clusters)
      .where(and(after, restrict))
      .orderBy(asc(clusters.name))
      .limit(page.limit + 1);
  if (!onlyIds) return pageOf();
  // Each slice's first page, merged: the overall page is among them.
  const parts = await Promise.all(slices(onlyIds).map((ids) => pageOf(inArray(clusters.id, ids))));
  return parts
    .flat()
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .slice(0, page.limit + 1);
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
