import { and, asc, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { groups, namespaces, roleBindings, workspaces } from '../schema';
import type { PageRequest } from './paging';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function findWorkspace(db: Database, name: string): Promise<WorkspaceRow | undefined> {
  return db.select().from(workspaces).where(eq(workspaces.name, name)).get();
}

/**
 * One page of workspaces by name. `visibleIds` (when given) restricts the
 * list to the workspaces the caller may see.
 */
export async function listWorkspaces(
  db: Database,
  page: PageRequest,
  visibleIds?: string[],
): Promise<WorkspaceRow[]> {
  if (visibleIds?.length === 0) return [];
  const conditions: SQL[] = [];
  if (page.after !== undefined) conditions.push(gt(workspaces.name, page.after));
  if (visibleIds) conditions.push(inArray(workspaces.id, visibleIds));
  return db
    .select()
    .from(workspaces)
    .where(and(...conditions))
    .orderBy(asc(workspaces.name))
    .limit(page.limit + 1);
}

/**
 * Ids of the workspaces reachable through a set of role bindings: workspace
 * bindings directly, namespace bindings through the namespace's workspace.
 */
export async function workspaceIdsReachable(
  db: Database,
  binding: { workspaceIds: string[]; namespaceIds: string[] },
): Promise<string[]> {
  const ids = new Set(binding.workspaceIds);
  if (binding.namespaceIds.length > 0) {
    const rows = await db
      .selectDistinct({ workspaceId: namespaces.workspaceId })
      .from(namespaces)
      .where(inArray(namespaces.id, binding.namespaceIds));
    for (const row of rows) ids.add(row.workspaceId);
  }
  return [...ids];
}

export async function createWorkspace(
  db: Database,
  input: { name: string; description?: string | null; createdBy: string },
  admin?: { userId: string },
): Promise<WorkspaceRow> {
  const id = crypto.randomUUID();
  const insert = db
    .insert(workspaces)
    .values({
      id,
      name: input.name,
      description: input.description ?? null,
      createdBy: input.createdBy,
    })
    .returning();
  if (!admin) {
    const [row] = await insert;
    return row!;
  }
  const [[row]] = await db.batch([
    insert,
    db.insert(roleBindings).values({
      scopeType: 'workspace',
      scopeId: id,
      subjectType: 'user',
      subjectId: admin.userId,
      role: 'workspace-admin',
      createdBy: input.createdBy,
    }),
  ]);
  return row!;
}

export async function updateWorkspace(
  db: Database,
  id: string,
  changes: { description?: string | null },
): Promise<WorkspaceRow> {
  if (changes.description === undefined)
    return (await db.select().from(workspaces).where(eq(workspaces.id, id)).get())!;
  const [row] = await db
    .update(workspaces)
    .set({ description: changes.description })
    .where(eq(workspaces.id, id))
    .returning();
  return row!;
}

/**
 * Deletes a workspace with everything bound to it in one batch: groups,
 * namespaces and custom roles go by foreign-key cascade; role bindings have
 * polymorphic ids, so those at the workspace, at its namespaces, and of its
 * groups are deleted explicitly.
 */
export async function deleteWorkspace(db: Database, id: string): Promise<void> {
  const namespaceIds = db
    .select({ id: namespaces.id })
    .from(namespaces)
    .where(eq(namespaces.workspaceId, id));
  const groupIds = db.select({ id: groups.id }).from(groups).where(eq(groups.workspaceId, id));
  await db.batch([
    db
      .delete(roleBindings)
      .where(
        or(
          and(eq(roleBindings.scopeType, 'workspace'), eq(roleBindings.scopeId, id)),
          and(eq(roleBindings.scopeType, 'namespace'), inArray(roleBindings.scopeId, namespaceIds)),
          and(eq(roleBindings.subjectType, 'group'), inArray(roleBindings.subjectId, groupIds)),
        ),
      ),
    db.delete(workspaces).where(eq(workspaces.id, id)),
  ]);
}
