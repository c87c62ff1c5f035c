import { and, eq, inArray, or } from 'drizzle-orm';
import type { Database } from '../client';
import { groupMembers, namespaces, roleBindings, type ScopeType } from '../schema';

/**
 * Subquery: ids of the scopes of `scopeType` where a user holds a binding,
 * directly or through a group. Subqueries instead of id lists keep every
 * query within D1's 100 bound parameters however many bindings a user has.
 */
export function boundScopeIds(db: Database, userId: string, scopeType: ScopeType) {
  const groupIds = db
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(eq(groupMembers.userId, userId));
  return db
    .select({ id: roleBindings.scopeId })
    .from(roleBindings)
    .where(
      and(
        eq(roleBindings.scopeType, scopeType),
        or(
          and(eq(roleBindings.subjectType, 'user'), eq(roleBindings.subjectId, userId)),
          and(eq(roleBindings.subjectType, 'group'), inArray(roleBindings.subjectId, groupIds)),
        ),
      ),
    );
}

/** Subquery: ids of the workspaces holding a namespace where the user has a binding. */
export function workspacesOfBoundNamespaces(db: Database, userId: string) {
  return db
    .select({ id: namespaces.workspaceId })
    .from(namespaces)
    .where(inArray(namespaces.id, boundScopeIds(db, userId, 'namespace')));
}
