import { and, asc, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { Database } from '../client';
import {
  appClusters,
  apps,
  clusters,
  deliveryLinks,
  namespaces,
  workspaceClusters,
  workspaces,
} from '../schema';

export type AppRecord = typeof apps.$inferSelect;
export type AppClusterRecord = typeof appClusters.$inferSelect;

export interface ClusterWithLabels {
  id: string;
  name: string;
  labels: Record<string, string>;
}

/** The clusters granted to a workspace, with their labels (placement selects among these only). */
export function grantedClustersWithLabels(
  db: Database,
  workspaceId: string,
): Promise<ClusterWithLabels[]> {
  return db
    .select({ id: clusters.id, name: clusters.name, labels: clusters.labels })
    .from(workspaceClusters)
    .innerJoin(clusters, eq(clusters.id, workspaceClusters.clusterId))
    .where(eq(workspaceClusters.workspaceId, workspaceId))
    .orderBy(asc(clusters.name));
}

/**
 * Which workspace holds namespace `name` in each of these clusters (clusters
 * without it are absent): one statement per 90 clusters rather than one per
 * cluster, so an edit's namespace check costs the same at 1 and 50 clusters.
 */
export async function namespaceHolders(
  db: Database,
  clusterIds: string[],
  name: string,
): Promise<Map<string, string>> {
  const holders = new Map<string, string>();
  for (let i = 0; i < clusterIds.length; i += 90) {
    const rows = await db
      .select({ clusterId: namespaces.clusterId, workspaceId: namespaces.workspaceId })
      .from(namespaces)
      .where(
        and(eq(namespaces.name, name), inArray(namespaces.clusterId, clusterIds.slice(i, i + 90))),
      );
    for (const row of rows) holders.set(row.clusterId, row.workspaceId);
  }
  return holders;
}

export function findApp(db: Database, workspaceId: string, name: string) {
  return db
    .select()
    .from(apps)
    .where(and(eq(apps.workspaceId, workspaceId), eq(apps.name, name)))
    .get();
}

export function listApps(db: Database, workspaceId: string) {
  return db.select().from(apps).where(eq(apps.workspaceId, workspaceId)).orderBy(asc(apps.name));
}

export type NewApp = typeof apps.$inferInsert;

/** Inserts the app; undefined when the name is taken in the workspace. */
export async function insertApp(db: Database, app: NewApp): Promise<AppRecord | undefined> {
  return db.insert(apps).values(app).onConflictDoNothing().returning().get();
}

/** Replaces the spec at generation + 1 (only if `generation` is still the stored one). */
export async function replaceApp(
  db: Database,
  id: string,
  generation: number,
  values: Pick<
    NewApp,
    'spec' | 'manifests' | 'editorUser' | 'editorGroups' | 'deleteTimeoutSeconds'
  >,
  now: Date,
): Promise<AppRecord | undefined> {
  return db
    .update(apps)
    .set({ ...values, generation: generation + 1, halted: null, updatedAt: now })
    .where(and(eq(apps.id, id), eq(apps.generation, generation)))
    .returning()
    .get();
}

/** Ids per `IN (…)` list: D1 binds at most 100 parameters a statement. */
const ID_CHUNK = 90;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export interface AppClusterRow extends AppClusterRecord {
  cluster: string;
  /** The cluster's current delivery link (its leader's connection), if any. */
  link: string | null;
}

/** Every cluster entry of the given apps, with cluster names and current links. */
export async function appClusterRows(db: Database, appIds: string[]): Promise<AppClusterRow[]> {
  if (appIds.length === 0) return [];
  const rows = await db
    .select({ row: appClusters, cluster: clusters.name, link: deliveryLinks.connectionId })
    .from(appClusters)
    .innerJoin(clusters, eq(clusters.id, appClusters.clusterId))
    .leftJoin(deliveryLinks, eq(deliveryLinks.clusterId, appClusters.clusterId))
    .where(inArray(appClusters.appId, appIds.slice(0, 90)))
    .orderBy(asc(clusters.name));
  return rows.map(({ row, cluster, link }) => ({ ...row, cluster, link }));
}

/**
 * Sets where the app goes: a row per placed cluster (kept, or new and not
 * yet admitted), and every other row a tombstone owing a delete until
 * `expiresAt`.
 */
export async function placeApp(
  db: Database,
  app: { id: string; deleteTimeoutSeconds: number },
  clusterIds: string[],
  now: Date,
): Promise<void> {
  const expiresAt = new Date(now.getTime() + app.deleteTimeoutSeconds * 1000);
  const statements = [];
  // D1 binds at most 100 parameters a statement, and drizzle binds every column of a row (defaults too): 5 rows at a time.
  for (const chunk of chunks(clusterIds, 5))
    statements.push(
      db
        .insert(appClusters)
        .values(chunk.map((clusterId) => ({ appId: app.id, clusterId, updatedAt: now })))
        .onConflictDoUpdate({
          target: [appClusters.appId, appClusters.clusterId],
          set: { removing: false, expiresAt: null, updatedAt: now },
        }),
    );
  const placed = new Set(clusterIds);
  const current = await db
    .select({ clusterId: appClusters.clusterId })
    .from(appClusters)
    .where(and(eq(appClusters.appId, app.id), eq(appClusters.removing, false)));
  const unplaced = current.map((r) => r.clusterId).filter((id) => !placed.has(id));
  for (const chunk of chunks(unplaced, ID_CHUNK))
    statements.push(
      db
        .update(appClusters)
        .set({ removing: true, state: 'deleting', expiresAt, updatedAt: now })
        .where(
          and(
            eq(appClusters.appId, app.id),
            eq(appClusters.removing, false),
            inArray(appClusters.clusterId, chunk),
          ),
        ),
    );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** The app is being deleted: every cluster entry becomes a tombstone. */
export async function markAppDeleting(db: Database, app: AppRecord, now: Date): Promise<void> {
  const expiresAt = new Date(now.getTime() + app.deleteTimeoutSeconds * 1000);
  await db.batch([
    db.update(apps).set({ deletingAt: now, updatedAt: now }).where(eq(apps.id, app.id)),
    db
      .update(appClusters)
      .set({ removing: true, state: 'deleting', expiresAt, updatedAt: now })
      .where(eq(appClusters.appId, app.id)),
  ]);
}

export async function deleteAppRecord(db: Database, id: string): Promise<void> {
  await db.delete(apps).where(eq(apps.id, id));
}

/**
 * Housekeeping of deletions: drops tombstones past their time to live and
 * deleting apps no cluster still owes a confirmation for. Returns the names
 * of the clusters whose expired tombstones were dropped (they may keep objects).
 */
export async function collectDeleted(db: Database, now: Date, appIds?: string[]): Promise<void> {
  const scope = appIds ? inArray(appClusters.appId, appIds.slice(0, 90)) : undefined;
  await db
    .delete(appClusters)
    .where(and(eq(appClusters.removing, true), lt(appClusters.expiresAt, now), scope));
  await db
    .delete(apps)
    .where(
      and(
        isNotNull(apps.deletingAt),
        appIds ? inArray(apps.id, appIds.slice(0, 90)) : undefined,
        sql`not exists (select 1 from ${appClusters} where ${appClusters.appId} = ${apps.id})`,
      ),
    );
}

/** Forgets every tombstone of an app at once (`?force=true`); returns the clusters that may keep objects. */
export async function forgetApp(db: Database, app: AppRecord): Promise<string[]> {
  const rows = await appClusterRows(db, [app.id]);
  await deleteAppRecord(db, app.id);
  return rows.filter((r) => r.ackedGeneration > 0 || r.targetGeneration > 0).map((r) => r.cluster);
}

/**
 * Admits clusters to the app's generation (a rollout step, or everything
 * without a rollout). With `maxInFlight`, each cluster is admitted by one
 * statement that counts, in the same statement, the reachable clusters
 * admitted and not yet ready: reports of two clusters evaluated at once can
 * never admit more than the rollout allows.
 */
export async function admit(
  db: Database,
  appId: string,
  clusterIds: string[],
  generation: number,
  now: Date,
  maxInFlight?: number,
): Promise<string[]> {
  if (clusterIds.length === 0) return [];
  if (maxInFlight === undefined) {
    for (const chunk of chunks(clusterIds, ID_CHUNK))
      await db
        .update(appClusters)
        .set({ targetGeneration: generation, admittedAt: now, readyAt: null, updatedAt: now })
        .where(
          and(
            eq(appClusters.appId, appId),
            inArray(appClusters.clusterId, chunk),
            lt(appClusters.targetGeneration, generation),
            eq(appClusters.removing, false),
          ),
        );
    return clusterIds;
  }
  const admitted: string[] = [];
  for (const clusterId of clusterIds) {
    const at = now.getTime();
    const result = await db.run(sql`
      update app_clusters
         set target_generation = ${generation}, admitted_at = ${at}, ready_at = null, updated_at = ${at}
       where app_id = ${appId} and cluster_id = ${clusterId}
         and target_generation < ${generation} and removing = 0
         and (select count(*) from app_clusters f
               where f.app_id = ${appId} and f.target_generation = ${generation}
                 and f.removing = 0 and f.ready_at is null
                 and exists (select 1 from delivery_links l
                              where l.cluster_id = f.cluster_id
                                and (f.connection_id is null or f.connection_id = l.connection_id))
             ) < ${maxInFlight}`);
    if ((result.meta.changes ?? 0) > 0) admitted.push(clusterId);
  }
  return admitted;
}

export async function haltApp(
  db: Database,
  appId: string,
  halted: { generation: number; cluster: string; message: string },
): Promise<void> {
  await db
    .update(apps)
    .set({ halted })
    .where(and(eq(apps.id, appId), eq(apps.generation, halted.generation)));
}

/** What the delivery feature of one cluster needs: its app entries with their apps. */
export async function deliveryRowsOfCluster(db: Database, clusterId: string, appIds?: string[]) {
  return db
    .select({
      row: appClusters,
      app: apps,
      workspace: workspaces.name,
      granted: workspaceClusters.clusterId,
    })
    .from(appClusters)
    .innerJoin(apps, eq(apps.id, appClusters.appId))
    .innerJoin(workspaces, eq(workspaces.id, apps.workspaceId))
    .leftJoin(
      workspaceClusters,
      and(
        eq(workspaceClusters.workspaceId, apps.workspaceId),
        eq(workspaceClusters.clusterId, appClusters.clusterId),
      ),
    )
    .where(
      and(
        eq(appClusters.clusterId, clusterId),
        appIds ? inArray(appClusters.appId, appIds.slice(0, 90)) : undefined,
      ),
    );
}
export type DeliveryRow = Awaited<ReturnType<typeof deliveryRowsOfCluster>>[number];

/** The leader's connection of a cluster, as delivery uses it. */
export async function setDeliveryLink(
  db: Database,
  clusterId: string,
  connectionId: string,
  now: Date,
): Promise<void> {
  await db
    .insert(deliveryLinks)
    .values({ clusterId, connectionId, since: now })
    .onConflictDoUpdate({ target: deliveryLinks.clusterId, set: { connectionId, since: now } });
  // Everything the cluster holds is now reported through this connection; entries
  // waiting on a rollout step get a fresh progress deadline (the time away is not theirs).
  await db.update(appClusters).set({ connectionId }).where(eq(appClusters.clusterId, clusterId));
  await db
    .update(appClusters)
    .set({ admittedAt: now })
    .where(
      and(
        eq(appClusters.clusterId, clusterId),
        isNotNull(appClusters.admittedAt),
        sql`${appClusters.readyAt} is null`,
      ),
    );
}

/** That connection is gone: the cluster's entries read `unreachable` from now on. */
export async function dropDeliveryLink(
  db: Database,
  clusterId: string,
  connectionId: string,
): Promise<void> {
  await db
    .delete(deliveryLinks)
    .where(
      and(eq(deliveryLinks.clusterId, clusterId), eq(deliveryLinks.connectionId, connectionId)),
    );
}

export interface ReportedStatus {
  appId: string;
  generation: number;
  state: string;
  message?: string | undefined;
  resources: unknown[];
}

/**
 * Records one app's report from a cluster's leader (through `connectionId`).
 * `deleted` confirms a tombstone (the entry goes); a report on an entry that
 * is not being removed keeps it placed, whatever it says.
 */
export async function recordReport(
  db: Database,
  clusterId: string,
  connectionId: string,
  report: ReportedStatus,
  now: Date,
): Promise<void> {
  const where = and(eq(appClusters.appId, report.appId), eq(appClusters.clusterId, clusterId));
  if (report.state === 'deleted') {
    await db.delete(appClusters).where(and(where, eq(appClusters.removing, true)));
    return;
  }
  await db
    .update(appClusters)
    .set({
      state: sql`case when ${appClusters.removing} then 'deleting' else ${report.state} end`,
      observedGeneration: report.generation,
      ackedGeneration: sql`max(${appClusters.ackedGeneration}, ${report.generation})`,
      message: report.message ?? null,
      resources: report.resources,
      connectionId,
      readyAt:
        report.state === 'ready'
          ? sql`case when ${appClusters.targetGeneration} = ${report.generation} then coalesce(${appClusters.readyAt}, ${now.getTime()}) else ${appClusters.readyAt} end`
          : sql`case when ${appClusters.targetGeneration} = ${report.generation} then null else ${appClusters.readyAt} end`,
      updatedAt: now,
    })
    .where(where);
}

/** What the cluster says it holds (delivery-state): acknowledged generations. */
export async function recordHeld(
  db: Database,
  clusterId: string,
  connectionId: string,
  held: Map<string, number>,
  now: Date,
): Promise<void> {
  const statements = [...held].map(([appId, generation]) =>
    db
      .update(appClusters)
      .set({ ackedGeneration: generation, connectionId, updatedAt: now })
      .where(and(eq(appClusters.appId, appId), eq(appClusters.clusterId, clusterId))),
  );
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

/** One cluster entry becomes a tombstone (the cluster left the workspace's grants). */
export async function tombstoneEntry(
  db: Database,
  appId: string,
  clusterId: string,
  expiresAt: Date,
): Promise<void> {
  await db
    .update(appClusters)
    .set({ removing: true, state: 'deleting', expiresAt, updatedAt: new Date() })
    .where(
      and(
        eq(appClusters.appId, appId),
        eq(appClusters.clusterId, clusterId),
        eq(appClusters.removing, false),
      ),
    );
}
