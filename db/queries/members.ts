import { and, asc, count, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import {
  clusters,
  groupMembers,
  groups,
  namespaces,
  roleBindings,
  type ScopeType,
  users,
  workspaces,
} from '../schema';
import type { PageRequest } from './paging';

export type ClusterRow = typeof clusters.$inferSelect;
export type BindingRow = typeof roleBindings.$inferSelect;

export interface BindingScope {
  scopeType: ScopeType;
  scopeId: string;
}

export interface MemberRow {
  user: string;
  role: string;
  createdAt: Date;
}

export async function findClusterByName(
  db: Database,
  name: string,
): Promise<ClusterRow | undefined> {
  return db.select().from(clusters).where(eq(clusters.name, name)).get();
}

/** Users bound directly at a scope, one page by user name. */
export async function listMembers(
  db: Database,
  scope: BindingScope,
  page: PageRequest,
): Promise<MemberRow[]> {
  const conditions: SQL[] = [
    eq(roleBindings.scopeType, scope.scopeType),
    eq(roleBindings.scopeId, scope.scopeId),
    eq(roleBindings.subjectType, 'user'),
  ];
  if (page.after !== undefined) conditions.push(gt(users.name, page.after));
  return db
    .select({ user: users.name, role: roleBindings.role, createdAt: roleBindings.createdAt })
    .from(roleBindings)
    .innerJoin(users, eq(users.id, roleBindings.subjectId))
    .where(and(...conditions))
    .orderBy(asc(users.name))
    .limit(page.limit + 1);
}

export async function findBinding(
  db: Database,
  scope: BindingScope,
  subject: { subjectType: 'user' | 'group'; subjectId: string },
): Promise<BindingRow | undefined> {
  return db
    .select()
    .from(roleBindings)
    .where(
      and(
        eq(roleBindings.scopeType, scope.scopeType),
        eq(roleBindings.scopeId, scope.scopeId),
        eq(roleBindings.subjectType, subject.subjectType),
        eq(roleBindings.subjectId, subject.subjectId),
      ),
    )
    .get();
}

/** Binds a role; a second binding of the same subject at the same scope violates a unique index. */
export async function createBinding(
  db: Database,
  binding: BindingScope & {
    subjectType: 'user' | 'group';
    subjectId: string;
    role: string;
    createdBy: string;
  },
): Promise<BindingRow> {
  const [row] = await db.insert(roleBindings).values(binding).returning();
  return row!;
}

export async function updateBindingRole(db: Database, id: string, role: string): Promise<void> {
  await db.update(roleBindings).set({ role }).where(eq(roleBindings.id, id));
}

export async function deleteBinding(db: Database, id: string): Promise<void> {
  await db.delete(roleBindings).where(eq(roleBindings.id, id));
}

/** How many bindings at a scope name `role` (custom roles in use cannot be deleted). */
export async function countRoleUses(db: Database, scope: BindingScope, role: string) {
  const [row] = await db
    .select({ n: count() })
    .from(roleBindings)
    .where(
      and(
        eq(roleBindings.scopeType, scope.scopeType),
        eq(roleBindings.scopeId, scope.scopeId),
        eq(roleBindings.role, role),
      ),
    );
  return row?.n ?? 0;
}

export interface NamedBinding {
  scopeType: ScopeType;
  role: string;
  workspace?: string;
  cluster?: string;
  namespace?: string;
  /** The group the binding comes through, when not direct. */
  viaGroup?: string;
}

/**
 * A user's role bindings, direct and through groups, with the names of
 * their scopes (for `/me`).
 */
export async function bindingsOfUser(db: Database, userId: string): Promise<NamedBinding[]> {
  const memberships = await db
    .select({ id: groups.id, name: groups.name })
    .from(groupMembers)
    .innerJoin(groups, eq(groups.id, groupMembers.groupId))
    .where(eq(groupMembers.userId, userId));
  const groupName = new Map(memberships.map((g) => [g.id, g.name]));
  const subjects = [and(eq(roleBindings.subjectType, 'user'), eq(roleBindings.subjectId, userId))];
  if (memberships.length > 0)
    subjects.push(
      and(
        eq(roleBindings.subjectType, 'group'),
        inArray(roleBindings.subjectId, [...groupName.keys()]),
      ),
    );
  const rows = await db
    .select()
    .from(roleBindings)
    .where(or(...subjects));
  const idsOf = (type: ScopeType) => rows.filter((r) => r.scopeType === type).map((r) => r.scopeId);
  const [wsRows, clusterRows, nsRows] = await Promise.all([
    idsOf('workspace').length
      ? db
          .select({ id: workspaces.id, name: workspaces.name })
          .from(workspaces)
          .where(inArray(workspaces.id, idsOf('workspace')))
      : [],
    idsOf('cluster').length
      ? db
          .select({ id: clusters.id, name: clusters.name })
          .from(clusters)
          .where(inArray(clusters.id, idsOf('cluster')))
      : [],
    idsOf('namespace').length
      ? db
          .select({
            id: namespaces.id,
            name: namespaces.name,
            cluster: clusters.name,
            workspace: workspaces.name,
          })
          .from(namespaces)
          .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
          .innerJoin(workspaces, eq(workspaces.id, namespaces.workspaceId))
          .where(inArray(namespaces.id, idsOf('namespace')))
      : [],
  ]);
  const wsName = new Map(wsRows.map((w) => [w.id, w.name]));
  const clusterName = new Map(clusterRows.map((c) => [c.id, c.name]));
  const ns = new Map(nsRows.map((n) => [n.id, n]));
  const named: NamedBinding[] = [];
  for (const row of rows) {
    const via = row.subjectType === 'group' ? groupName.get(row.subjectId) : undefined;
    const base: NamedBinding = { scopeType: row.scopeType, role: row.role };
    if (via !== undefined) base.viaGroup = via;
    if (row.scopeType === 'workspace') {
      const name = wsName.get(row.scopeId);
      if (name !== undefined) named.push({ ...base, workspace: name });
    } else if (row.scopeType === 'cluster') {
      const name = clusterName.get(row.scopeId);
      if (name !== undefined) named.push({ ...base, cluster: name });
    } else {
      const n = ns.get(row.scopeId);
      if (n) named.push({ ...base, workspace: n.workspace, cluster: n.cluster, namespace: n.name });
    }
  }
  return named;
}
