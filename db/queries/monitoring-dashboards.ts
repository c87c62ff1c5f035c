import { and, asc, eq, isNull, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { type MonitoringPanel, monitoringDashboards } from '../schema';

export type DashboardRow = typeof monitoringDashboards.$inferSelect;

/**
 * Where a dashboard lives: a cluster, or one namespace placement of a
 * workspace in a cluster. The workspace is part of the key, so a namespace
 * re-placed in another workspace never inherits the old owner's dashboards.
 */
export type DashboardScope =
  | { kind: 'cluster'; clusterId: string }
  | { kind: 'namespace'; clusterId: string; workspaceId: string; namespace: string };

export const scopeKeyOf = (scope: DashboardScope): string =>
  scope.kind === 'cluster'
    ? `cluster:${scope.clusterId}`
    : `namespace:${scope.clusterId}:${scope.namespace}`;

function inScope(scope: DashboardScope): SQL | undefined {
  const key = eq(monitoringDashboards.scopeKey, scopeKeyOf(scope));
  return scope.kind === 'cluster'
    ? and(key, isNull(monitoringDashboards.workspaceId))
    : and(key, eq(monitoringDashboards.workspaceId, scope.workspaceId));
}

/** Every dashboard of a scope, by position then name (at most `limit`). */
export async function listDashboards(
  db: Database,
  scope: DashboardScope,
  limit = 200,
): Promise<DashboardRow[]> {
  return db
    .select()
    .from(monitoringDashboards)
    .where(inScope(scope))
    .orderBy(asc(monitoringDashboards.position), asc(monitoringDashboards.name))
    .limit(limit);
}

export async function findDashboard(
  db: Database,
  scope: DashboardScope,
  name: string,
): Promise<DashboardRow | undefined> {
  return db
    .select()
    .from(monitoringDashboards)
    .where(and(inScope(scope), eq(monitoringDashboards.name, name)))
    .get();
}

export interface DashboardInput {
  name: string;
  title: string;
  position: number;
  panels: MonitoringPanel[];
}

/** Inserts a dashboard; undefined when the name is taken in the scope. */
export async function insertDashboard(
  db: Database,
  scope: DashboardScope,
  input: DashboardInput,
  by: string,
): Promise<DashboardRow | undefined> {
  const now = new Date();
  const [row] = await db
    .insert(monitoringDashboards)
    .values({
      scopeKey: scopeKeyOf(scope),
      clusterId: scope.clusterId,
      workspaceId: scope.kind === 'namespace' ? scope.workspaceId : null,
      namespace: scope.kind === 'namespace' ? scope.namespace : null,
      ...input,
      createdBy: by,
      updatedBy: by,
      updatedAt: now,
    })
    .onConflictDoNothing()
    .returning();
  return row;
}

export async function updateDashboard(
  db: Database,
  id: string,
  input: Omit<DashboardInput, 'name'>,
  by: string,
): Promise<DashboardRow | undefined> {
  const [row] = await db
    .update(monitoringDashboards)
    .set({ ...input, updatedBy: by, updatedAt: new Date() })
    .where(eq(monitoringDashboards.id, id))
    .returning();
  return row;
}

export async function deleteDashboard(db: Database, id: string): Promise<void> {
  await db.delete(monitoringDashboards).where(eq(monitoringDashboards.id, id));
}
