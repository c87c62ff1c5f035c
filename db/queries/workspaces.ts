import { and, asc, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { groups, namespaces, roleBindings, workspaceClusters, workspaces } from '../schema';
import type { PageRequest } from './paging';
import { boundScopeIds, workspacesOfBoundNamespaces } from './reach';

export type WorkspaceRow = typeof workspaces.$inferSelect;

export async function findWorkspace(db: Database, name: string): Promise<WorkspaceRow | undefined> {
  return db.select().from(workspaces).where(eq(workspaces.name, name)).get();
}

/**
 * One page of workspaces by name. With `visibleTo` (a user id), only the
 * workspaces that user reaches: a binding in the workspace or in one of its
 * namespaces, directly or through a group.
 */
export async function listWorkspaces(
  db: Database,
  page: PageRequest,
  visibleTo?: string,
): Promise<WorkspaceRow[]> {
  const conditions: (SQL | undefined)[] = [];
  if (page.after !== undefined) conditions.push(gt(workspaces.name, page.after));
  if (visibleTo !== undefined)
    conditions.push(
      or(
        inArray(workspaces.id, boundScopeIds(db, visibleTo, 'workspace')),
        inArray(workspaces.id, workspacesOfBoundNamespaces(db, visibleTo)),
      ),
    );
  return db
    .select()
    .from(workspaces)
    .where(and(...conditions))
    .orderBy(asc(workspaces.name))
    .limit(page.limit + 1);
}

/** The workspaces where the user holds a binding, directly or through a group. */
export async function boundWorkspaces(db: Database, userId: string): Promise<WorkspaceRow[]> {
  return db
    .select()
    .from(workspaces)
    .where(inArray(workspaces.id, boundScopeIds(db, userId, 'workspace')));
}

/**
 * Creates a workspace; in the same batch `admin` becomes its workspace-admin
 * and the clusters `clusterIds` are granted to it.
 */
export async function createWorkspace(
  db: Database,
  input: { name: string; description?: string | null; createdBy: string },
  admin?: { userId: string },
  clusterIds: string[] = [],
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
  const [[row]] = await db.batch([
    insert,
    ...(admin
      ? [
          db.insert(roleBindings).values({
            scopeType: 'workspace',
            scopeId: id,
            subjectType: 'user',
            subjectId: admin.userId,
            role: 'workspace-admin',
            createdBy: input.createdBy,
          }),
        ]
      : []),
    ...clusterIds.map((clusterId) =>
      db
        .insert(workspaceClusters)
        .values({ workspaceId: id, clusterId, grantedBy: input.createdBy }),
    ),
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
