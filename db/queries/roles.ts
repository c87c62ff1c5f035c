import { and, asc, eq, gt, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { type PolicyRule, roles } from '../schema';
import type { PageRequest } from './paging';

export type RoleRow = typeof roles.$inferSelect;

export async function findCustomRole(
  db: Database,
  workspaceId: string,
  name: string,
): Promise<RoleRow | undefined> {
  return db
    .select()
    .from(roles)
    .where(and(eq(roles.workspaceId, workspaceId), eq(roles.name, name)))
    .get();
}

export async function listCustomRoles(
  db: Database,
  workspaceId: string,
  page: PageRequest,
): Promise<RoleRow[]> {
  const conditions: SQL[] = [eq(roles.workspaceId, workspaceId)];
  if (page.after !== undefined) conditions.push(gt(roles.name, page.after));
  return db
    .select()
    .from(roles)
    .where(and(...conditions))
    .orderBy(asc(roles.name))
    .limit(page.limit + 1);
}

export async function createCustomRole(
  db: Database,
  input: {
    workspaceId: string;
    name: string;
    description?: string | null;
    rules: PolicyRule[];
    createdBy: string;
  },
): Promise<RoleRow> {
  const [row] = await db.insert(roles).values(input).returning();
  return row!;
}

export async function updateCustomRole(
  db: Database,
  id: string,
  changes: { description?: string | null; rules?: PolicyRule[] },
): Promise<RoleRow> {
  const [row] = await db
    .update(roles)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(roles.id, id))
    .returning();
  return row!;
}

export async function deleteCustomRole(db: Database, id: string): Promise<void> {
  await db.delete(roles).where(eq(roles.id, id));
}
