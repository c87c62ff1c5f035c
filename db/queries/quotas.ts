import { and, asc, eq, inArray, ne, notInArray, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, workspaceQuotas, workspaceQuotaUsage, workspaces } from '../schema';

export type QuotaRow = typeof workspaceQuotas.$inferSelect;

export async function findQuota(db: Database, workspaceId: string): Promise<QuotaRow | undefined> {
  return db
    .select()
    .from(workspaceQuotas)
    .where(eq(workspaceQuotas.workspaceId, workspaceId))
    .get();
}

/** Creates or replaces a workspace's quota; the revision grows by one on every write. */
export async function putQuota(
  db: Database,
  input: { workspaceId: string; hard: Record<string, string>; updatedBy: string; now: Date },
): Promise<QuotaRow> {
  const row = await db
    .insert(workspaceQuotas)
    .values({ ...input, updatedAt: input.now, revision: 1 })
    .onConflictDoUpdate({
      target: workspaceQuotas.workspaceId,
      set: {
        hard: input.hard,
        updatedBy: input.updatedBy,
        updatedAt: input.now,
        revision: sql`${workspaceQuotas.revision} + 1`,
      },
    })
    .returning()
    .get();
  return row;
}

/** The clusters a workspace spans: those where it has a namespace placement. */
export async function clustersOfWorkspace(
  db: Database,
  workspaceId: string,
): Promise<{ id: string; name: string }[]> {
  return db
    .selectDistinct({ id: clusters.id, name: clusters.name })
    .from(namespaces)
    .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
    .where(eq(namespaces.workspaceId, workspaceId))
    .orderBy(asc(clusters.name));
}

export interface UsageRow {
  workspaceId: string;
  clusterId: string;
  cluster: string;
  used: Record<string, number>;
  reportedAt: Date;
}

/** Every cluster's last usage report for a workspace. */
export async function usageOfWorkspace(db: Database, workspaceId: string): Promise<UsageRow[]> {
  return db
    .select({
      workspaceId: workspaceQuotaUsage.workspaceId,
      clusterId: workspaceQuotaUsage.clusterId,
      cluster: clusters.name,
      used: workspaceQuotaUsage.used,
      reportedAt: workspaceQuotaUsage.reportedAt,
    })
    .from(workspaceQuotaUsage)
    .innerJoin(clusters, eq(clusters.id, workspaceQuotaUsage.clusterId))
    .where(eq(workspaceQuotaUsage.workspaceId, workspaceId))
    .orderBy(asc(clusters.name));
}

export interface ClusterQuota {
  workspaceId: string;
  workspace: string;
  hard: Record<string, string>;
  revision: number;
}

/** The quotas of every workspace with a namespace in the cluster. */
export async function quotasInCluster(db: Database, clusterId: string): Promise<ClusterQuota[]> {
  const spanning = db
    .selectDistinct({ id: namespaces.workspaceId })
    .from(namespaces)
    .where(eq(namespaces.clusterId, clusterId));
  return db
    .select({
      workspaceId: workspaceQuotas.workspaceId,
      workspace: workspaces.name,
      hard: workspaceQuotas.hard,
      revision: workspaceQuotas.revision,
    })
    .from(workspaceQuotas)
    .innerJoin(workspaces, eq(workspaces.id, workspaceQuotas.workspaceId))
    .where(inArray(workspaceQuotas.workspaceId, spanning))
    .orderBy(asc(workspaces.name));
}

/** Usage reports of these workspaces from every cluster but `clusterId`. */
export async function usageElsewhere(
  db: Database,
  clusterId: string,
  workspaceIds: string[],
): Promise<{ workspaceId: string; used: Record<string, number> }[]> {
  if (workspaceIds.length === 0) return [];
  return db
    .select({ workspaceId: workspaceQuotaUsage.workspaceId, used: workspaceQuotaUsage.used })
    .from(workspaceQuotaUsage)
    .where(
      and(
        ne(workspaceQuotaUsage.clusterId, clusterId),
        inArray(workspaceQuotaUsage.workspaceId, workspaceIds),
      ),
    );
}

/** Records what a cluster reported per workspace (one upsert per workspace, in one batch). */
export async function recordUsage(
  db: Database,
  clusterId: string,
  reports: { workspaceId: string; used: Record<string, number> }[],
  now: Date,
): Promise<void> {
  const [first, ...rest] = reports.map((r) =>
    db
      .insert(workspaceQuotaUsage)
      .values({ workspaceId: r.workspaceId, clusterId, used: r.used, reportedAt: now })
      .onConflictDoUpdate({
        target: [workspaceQuotaUsage.workspaceId, workspaceQuotaUsage.clusterId],
        set: { used: r.used, reportedAt: now },
      }),
  );
  if (first) await db.batch([first, ...rest]);
}

/** Cluster id of a cluster name, for the tunnel (which knows its cluster by name). */
export async function clusterIdByName(db: Database, name: string): Promise<string | undefined> {
  const row = await db
    .select({ id: clusters.id })
    .from(clusters)
    .where(eq(clusters.name, name))
    .get();
  return row?.id;
}

/** Forgets what clusters the workspace no longer has a namespace in reported for it. */
export async function deleteUsageOutsideSpan(db: Database, workspaceId: string): Promise<void> {
  const spanned = db
    .selectDistinct({ id: namespaces.clusterId })
    .from(namespaces)
    .where(eq(namespaces.workspaceId, workspaceId));
  await db
    .delete(workspaceQuotaUsage)
    .where(
      and(
        eq(workspaceQuotaUsage.workspaceId, workspaceId),
        notInArray(workspaceQuotaUsage.clusterId, spanned),
      ),
    );
}
