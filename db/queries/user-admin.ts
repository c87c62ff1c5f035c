import { and, asc, count, eq, gt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { type PlatformRole, roleBindings, users } from '../schema';
import type { PageRequest } from './paging';
import type { UserRow } from './users';

export async function listUsers(db: Database, page: PageRequest): Promise<UserRow[]> {
  const conditions: SQL[] = [];
  if (page.after !== undefined) conditions.push(gt(users.name, page.after));
  return db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.name))
    .limit(page.limit + 1);
}

export async function updateUserProfile(
  db: Database,
  id: string,
  changes: {
    email?: string | null;
    displayName?: string | null;
    platformRole?: PlatformRole;
    status?: 'active' | 'disabled';
  },
): Promise<UserRow> {
  const [row] = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return row!;
}

/**
 * Deletes a user with its role bindings in one batch (group memberships,
 * tokens and refresh tokens go by foreign-key cascade).
 */
export async function deleteUser(db: Database, id: string): Promise<void> {
  await db.batch([
    db
      .delete(roleBindings)
      .where(and(eq(roleBindings.subjectType, 'user'), eq(roleBindings.subjectId, id))),
    db.delete(users).where(eq(users.id, id)),
  ]);
}

/** Active platform admins: the last one may not be deleted, demoted or disabled. */
export async function countActivePlatformAdmins(db: Database): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.platformRole, 'platform-admin'), eq(users.status, 'active')));
  return row?.n ?? 0;
}
