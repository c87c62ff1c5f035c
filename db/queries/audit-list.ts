import { and, desc, eq, gte, lt, lte, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { auditEvents } from '../schema';

export type AuditEventRow = typeof auditEvents.$inferSelect;

export interface AuditFilter {
  user?: string | undefined;
  verb?: string | undefined;
  resource?: string | undefined;
  workspace?: string | undefined;
  /**
   * With `workspace`: only events from this time on — the creation of the
   * workspace that bears the name now, so a re-created workspace is not
   * shown its predecessor's events.
   */
  workspaceSince?: Date | undefined;
  outcome?: AuditEventRow['outcome'] | undefined;
  since?: Date | undefined;
  until?: Date | undefined;
}

/** A workspace whose events a reader may see: by name, from the workspace's creation on. */
export interface AuditWorkspace {
  name: string;
  since: Date;
}

/**
 * One page of audit events, newest first. `workspaces` limits the events to
 * those workspaces, each from its creation on (a workspace admin's view: a
 * workspace re-created under an old name does not show its predecessor's
 * events); `'all'` is the platform view. `beforeId` is the id of the last
 * event of the previous page.
 */
export async function listAuditEvents(
  db: Database,
  filter: AuditFilter,
  workspaces: AuditWorkspace[] | 'all',
  page: { limit: number; beforeId?: number },
): Promise<AuditEventRow[]> {
  if (workspaces !== 'all' && workspaces.length === 0) return [];
  const conditions: SQL[] = [];
  // One JSON parameter rather than two per workspace (D1 binds at most 100).
  if (workspaces !== 'all') {
    const pairs = JSON.stringify(workspaces.map((w) => [w.name, w.since.getTime()]));
    conditions.push(
      sql`exists (select 1 from json_each(${pairs}) w where w.value ->> 0 = ${auditEvents.workspace} and ${auditEvents.time} >= w.value ->> 1)`,
    );
  }
  if (filter.workspaceSince !== undefined)
    conditions.push(gte(auditEvents.time, filter.workspaceSince));
  if (filter.user !== undefined) conditions.push(eq(auditEvents.user, filter.user));
  if (filter.verb !== undefined) conditions.push(eq(auditEvents.verb, filter.verb));
  if (filter.resource !== undefined) conditions.push(eq(auditEvents.resource, filter.resource));
  if (filter.workspace !== undefined) conditions.push(eq(auditEvents.workspace, filter.workspace));
  if (filter.outcome !== undefined) conditions.push(eq(auditEvents.outcome, filter.outcome));
  if (filter.since !== undefined) conditions.push(gte(auditEvents.time, filter.since));
  if (filter.until !== undefined) conditions.push(lte(auditEvents.time, filter.until));
  if (page.beforeId !== undefined) conditions.push(lt(auditEvents.id, page.beforeId));
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(page.limit + 1);
}
