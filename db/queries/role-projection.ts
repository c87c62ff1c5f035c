import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Database } from '../client';
import {
  groupMembers,
  groups,
  namespaces,
  type PolicyRule,
  roleBindings,
  roles,
  users,
  workspaceClusters,
  workspaces,
} from '../schema';

/** A binding at workspace or namespace level that may project into the cluster, with its subject's names. */
export interface ProjectionBindingRow {
  scopeType: 'cluster' | 'workspace' | 'namespace';
  scopeId: string;
  role: string;
  subjectType: 'user' | 'group';
  /** The user's name (subjectType user), if the user still exists. */
  userName: string | null;
  userStatus: 'active' | 'disabled' | null;
  /** The group's name and its workspace's name (subjectType group). */
  groupName: string | null;
  groupWorkspace: string | null;
}

/** Everything the projection of one cluster is computed from. */
export interface ProjectionRows {
  /** Workspaces granted the cluster. */
  workspaces: { id: string; name: string }[];
  /** Namespaces placed in the cluster by those workspaces. */
  namespaces: { id: string; name: string; workspaceId: string }[];
  bindings: ProjectionBindingRow[];
  /** Custom roles those workspaces may bind (their own and platform-wide ones). */
  customRoles: { workspaceId: string | null; name: string; rules: PolicyRule[] }[];
}

/**
 * Reads the tenancy rows behind one cluster's role projection in ONE D1
 * batch. Every filter is a subquery on the cluster id (never a list of
 * bound ids: D1 caps bound parameters at 100).
 */
export async function projectionRows(db: Database, clusterId: string): Promise<ProjectionRows> {
  const granted = db
    .select({ id: workspaceClusters.workspaceId })
    .from(workspaceClusters)
    .where(eq(workspaceClusters.clusterId, clusterId));
  const placed = db
    .select({ id: namespaces.id })
    .from(namespaces)
    .where(and(eq(namespaces.clusterId, clusterId), inArray(namespaces.workspaceId, granted)));
  const groupWorkspaces = alias(workspaces, 'group_workspaces');
  const [workspaceRows, namespaceRows, bindingRows, roleRows] = await db.batch([
    db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaces)
      .where(inArray(workspaces.id, granted))
      .orderBy(asc(workspaces.name)),
    db
      .select({ id: namespaces.id, name: namespaces.name, workspaceId: namespaces.workspaceId })
      .from(namespaces)
      .where(and(eq(namespaces.clusterId, clusterId), inArray(namespaces.workspaceId, granted)))
      .orderBy(asc(namespaces.name)),
    db
      .select({
        scopeType: roleBindings.scopeType,
        scopeId: roleBindings.scopeId,
        role: roleBindings.role,
        subjectType: roleBindings.subjectType,
        // Aliased: D1 returns rows as objects, so columns called "name" would collide.
        userName: sql<string | null>`${users.name}`.as('user_name'),
        userStatus: sql<'active' | 'disabled' | null>`${users.status}`.as('user_status'),
        groupName: sql<string | null>`${groups.name}`.as('group_name'),
        groupWorkspace: sql<string | null>`${groupWorkspaces.name}`.as('group_workspace'),
      })
      .from(roleBindings)
      .leftJoin(
        users,
        and(eq(roleBindings.subjectType, 'user'), eq(users.id, roleBindings.subjectId)),
      )
      .leftJoin(
        groups,
        and(eq(roleBindings.subjectType, 'group'), eq(groups.id, roleBindings.subjectId)),
      )
      .leftJoin(groupWorkspaces, eq(groupWorkspaces.id, groups.workspaceId))
      .where(
        or(
          and(eq(roleBindings.scopeType, 'workspace'), inArray(roleBindings.scopeId, granted)),
          and(eq(roleBindings.scopeType, 'namespace'), inArray(roleBindings.scopeId, placed)),
        ),
      ),
    db
      .select({ workspaceId: roles.workspaceId, name: roles.name, rules: roles.rules })
      .from(roles)
      .where(or(isNull(roles.workspaceId), inArray(roles.workspaceId, granted))),
  ]);
  return {
    workspaces: workspaceRows,
    namespaces: namespaceRows,
    bindings: bindingRows,
    customRoles: roleRows,
  };
}

/** Clusters (by id) granted to the workspace or holding one of its namespaces. */
export async function clustersTouchingWorkspace(
  db: Database,
  workspaceId: string,
): Promise<string[]> {
  const rows = await db
    .select({ clusterId: workspaceClusters.clusterId })
    .from(workspaceClusters)
    .where(eq(workspaceClusters.workspaceId, workspaceId))
    .union(
      db
        .select({ clusterId: namespaces.clusterId })
        .from(namespaces)
        .where(eq(namespaces.workspaceId, workspaceId)),
    );
  return rows.map((r) => r.clusterId);
}

/** The workspace named `name`'s id, if it exists. */
export async function workspaceIdByName(db: Database, name: string): Promise<string | undefined> {
  const row = await db
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(eq(workspaces.name, name))
    .get();
  return row?.id;
}

/** Every cluster granted to at least one workspace (the fallback fan-out of a platform-level change). */
export async function clustersWithGrants(db: Database): Promise<string[]> {
  const rows = await db
    .selectDistinct({ clusterId: workspaceClusters.clusterId })
    .from(workspaceClusters);
  return rows.map((r) => r.clusterId);
}

/**
 * Clusters granted to a workspace in which the user `name` holds a binding
 * (directly, in one of its namespaces, or through a group): the clusters
 * whose projection names that user.
 */
export async function clustersReachedByUser(db: Database, name: string): Promise<string[]> {
  const user = db.select({ id: users.id }).from(users).where(eq(users.name, name));
  const myGroups = db
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(inArray(groupMembers.userId, user));
  const bound = db
    .select({
      workspaceId: sql<string>`case ${roleBindings.scopeType}
        when 'workspace' then ${roleBindings.scopeId}
        else (select ${namespaces.workspaceId} from ${namespaces} where ${namespaces.id} = ${roleBindings.scopeId})
      end`.as('bound_workspace'),
    })
    .from(roleBindings)
    .where(
      and(
        inArray(roleBindings.scopeType, ['workspace', 'namespace']),
        or(
          and(eq(roleBindings.subjectType, 'user'), inArray(roleBindings.subjectId, user)),
          and(eq(roleBindings.subjectType, 'group'), inArray(roleBindings.subjectId, myGroups)),
        ),
      ),
    );
  const rows = await db
    .selectDistinct({ clusterId: workspaceClusters.clusterId })
    .from(workspaceClusters)
    .where(inArray(workspaceClusters.workspaceId, bound));
  return rows.map((r) => r.clusterId);
}
