import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { groupMembers, groups, roleBindings, users } from '../schema';
import type { PageRequest } from './paging';

export type GroupRow = typeof groups.$inferSelect;

/** A group with the workspace role bound to it, if any. */
export interface GroupWithRole extends GroupRow {
  role: string | null;
}

const workspaceRoleOfGroup = and(
  eq(roleBindings.subjectType, 'group'),
  eq(roleBindings.subjectId, groups.id),
  eq(roleBindings.scopeType, 'workspace'),
  eq(roleBindings.scopeId, groups.workspaceId),
);

export async function findGroup(
  db: Database,
  workspaceId: string,
  name: string,
): Promise<GroupWithRole | undefined> {
  const row = await db
    .select({ group: groups, role: roleBindings.role })
    .from(groups)
    .leftJoin(roleBindings, workspaceRoleOfGroup)
    .where(and(eq(groups.workspaceId, workspaceId), eq(groups.name, name)))
    .get();
  return row && { ...row.group, role: row.role };
}

export async function listGroups(
  db: Database,
  workspaceId: string,
  page: PageRequest,
): Promise<GroupWithRole[]> {
  const conditions: SQL[] = [eq(groups.workspaceId, workspaceId)];
  if (page.after !== undefined) conditions.push(gt(groups.name, page.after));
  const rows = await db
    .select({ group: groups, role: roleBindings.role })
    .from(groups)
    .leftJoin(roleBindings, workspaceRoleOfGroup)
    .where(and(...conditions))
    .orderBy(asc(groups.name))
    .limit(page.limit + 1);
  return rows.map((r) => ({ ...r.group, role: r.role }));
}

/** Creates a group and, when `role` is given, its workspace role binding, in one batch. */
export async function createGroup(
  db: Database,
  input: {
    workspaceId: string;
    name: string;
    description?: string | null;
    role?: string | undefined;
    createdBy: string;
  },
): Promise<GroupWithRole> {
  const id = crypto.randomUUID();
  const insert = db
    .insert(groups)
    .values({
      id,
      workspaceId: input.workspaceId,
      name: input.name,
      description: input.description ?? null,
    })
    .returning();
  if (input.role === undefined) {
    const [row] = await insert;
    return { ...row!, role: null };
  }
  const [[row]] = await db.batch([
    insert,
    db.insert(roleBindings).values({
      scopeType: 'workspace',
      scopeId: input.workspaceId,
      subjectType: 'group',
      subjectId: id,
      role: input.role,
      createdBy: input.createdBy,
    }),
  ]);
  return { ...row!, role: input.role };
}

/** Updates the description and/or replaces the group's workspace role (null removes it). */
export async function updateGroup(
  db: Database,
  group: GroupRow,
  changes: { description?: string | null; role?: string | null },
  updatedBy: string,
): Promise<void> {
  const writes = [];
  if (changes.description !== undefined)
    writes.push(
      db.update(groups).set({ description: changes.description }).where(eq(groups.id, group.id)),
    );
  if (changes.role !== undefined) {
    writes.push(
      db
        .delete(roleBindings)
        .where(
          and(
            eq(roleBindings.subjectType, 'group'),
            eq(roleBindings.subjectId, group.id),
            eq(roleBindings.scopeType, 'workspace'),
          ),
        ),
    );
    if (changes.role !== null)
      writes.push(
        db.insert(roleBindings).values({
          scopeType: 'workspace',
          scopeId: group.workspaceId,
          subjectType: 'group',
          subjectId: group.id,
          role: changes.role,
          createdBy: updatedBy,
        }),
      );
  }
  const [first, ...rest] = writes;
  if (first) await db.batch([first, ...rest]);
}

/** Deletes a group, its memberships (cascade) and every binding of it, in one batch. */
export async function deleteGroup(db: Database, id: string): Promise<void> {
  await db.batch([
    db
      .delete(roleBindings)
      .where(and(eq(roleBindings.subjectType, 'group'), eq(roleBindings.subjectId, id))),
    db.delete(groups).where(eq(groups.id, id)),
  ]);
}

export async function listGroupMembers(
  db: Database,
  groupId: string,
  page: PageRequest,
): Promise<{ user: string; createdAt: Date }[]> {
  const conditions: SQL[] = [eq(groupMembers.groupId, groupId)];
  if (page.after !== undefined) conditions.push(gt(users.name, page.after));
  return db
    .select({ user: users.name, createdAt: groupMembers.createdAt })
    .from(groupMembers)
    .innerJoin(users, eq(users.id, groupMembers.userId))
    .where(and(...conditions))
    .orderBy(asc(users.name))
    .limit(page.limit + 1);
}

export async function addGroupMember(db: Database, groupId: string, userId: string) {
  await db.insert(groupMembers).values({ groupId, userId });
}

/** Returns whether the user was a member. */
export async function removeGroupMember(
  db: Database,
  groupId: string,
  userId: string,
): Promise<boolean> {
  const removed = await db
    .delete(groupMembers)
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)))
    .returning({ userId: groupMembers.userId });
  return removed.length > 0;
}
