import { and, asc, count, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
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
 * their scopes (for `/me`). Joins rather than id lists, so any number of
 * bindings stays one query within D1's parameter limit.
 */
export async function bindingsOfUser(db: Database, userId: string): Promise<NamedBinding[]> {
  const nsCluster = alias(clusters, 'ns_cluster');
  const nsWorkspace = alias(workspaces, 'ns_workspace');
  const viaGroup = alias(groups, 'via_group');
  const rows = await db
    .select({
      scopeType: roleBindings.scopeType,
      role: roleBindings.role,
      workspace: workspaces.name,
      cluster: clusters.name,
      namespace: namespaces.name,
      nsCluster: nsCluster.name,
      nsWorkspace: nsWorkspace.name,
      viaGroup: viaGroup.name,
    })
    .from(roleBindings)
    .leftJoin(
      workspaces,
      and(eq(roleBindings.scopeType, 'workspace'), eq(workspaces.id, roleBindings.scopeId)),
    )
    .leftJoin(
      clusters,
      and(eq(roleBindings.scopeType, 'cluster'), eq(clusters.id, roleBindings.scopeId)),
    )
    .leftJoin(
      namespaces,
      and(eq(roleBindings.scopeType, 'namespace'), eq(namespaces.id, roleBindings.scopeId)),
    )
    .leftJoin(nsCluster, eq(nsCluster.id, namespaces.clusterId))
    .leftJoin(nsWorkspace, eq(nsWorkspace.id, namespaces.workspaceId))
    .leftJoin(
      viaGroup,
      and(eq(roleBindings.subjectType, 'group'), eq(viaGroup.id, roleBindings.subjectId)),
    )
    .where(
      or(
        and(eq(roleBindings.subjectType, 'user'), eq(roleBindings.subjectId, userId)),
        and(
          eq(roleBindings.subjectType, 'group'),
          inArray(
            roleBindings.subjectId,
            db
              .select({ id: groupMembers.groupId })
              .from(groupMembers)
              .where(eq(groupMembers.userId, userId)),
          ),
        ),
      ),
    );
  const named: NamedBinding[] = [];
  for (const row of rows) {
    const base: NamedBinding = { scopeType: row.scopeType, role: row.role };
    if (row.viaGroup !== null) base.viaGroup = row.viaGroup;
    if (row.workspace !== null) named.push({ ...base, workspace: row.workspace });
    else if (row.cluster !== null) named.push({ ...base, cluster: row.cluster });
    else if (row.namespace !== null && row.nsCluster !== null && row.nsWorkspace !== null)
      named.push({
        ...base,
        workspace: row.nsWorkspace,
        cluster: row.nsCluster,
        namespace: row.namespace,
      });
  }
  return named;
}
