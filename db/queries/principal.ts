import { and, eq, inArray, isNull, or, type SQL, sql } from 'drizzle-orm';
import type { EffectiveBinding, Principal } from '../../functions/auth/principal';
import { builtinRoleRules } from '../../functions/iam/builtin-roles';
import { kubeGroupName } from '../../functions/iam/kube-subjects';
import type { Database } from '../client';
import {
  groupMembers,
  groups,
  namespaces,
  roleBindings,
  roles,
  users,
  workspaces,
} from '../schema';
import type { UserRow } from './users';

/** What loadPrincipal knows about the caller; the authenticate middleware adds the token parts. */
export interface LoadedPrincipal {
  user: UserRow;
  principal: Omit<Principal, 'via' | 'scopes' | 'tokenId'>;
}

/** A user id, or SQL that yields one (the federated sign-in reads by its identity link). */
export type UserIdRef = string | SQL;

/**
 * The two reads behind a principal besides the user row (its groups, and its
 * bindings direct or through those groups), unexecuted, so a caller can put
 * them in one D1 batch with reads of its own.
 */
export function principalReads(db: Database, userId: UserIdRef) {
  const myGroupIds = db
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(eq(groupMembers.userId, userId));
  // The workspace a binding's custom role may come from.
  const bindingWorkspace = sql`(case ${roleBindings.scopeType}
    when 'workspace' then ${roleBindings.scopeId}
    when 'namespace' then (select ${namespaces.workspaceId} from ${namespaces} where ${namespaces.id} = ${roleBindings.scopeId})
  end)`;
  return [
    db
      .select({
        id: groups.id,
        name: groups.name,
        // Aliased: D1 returns rows as objects, so two columns called "name" would collide.
        workspace: sql<string>`${workspaces.name}`.as('workspace_name'),
      })
      .from(groupMembers)
      .innerJoin(groups, eq(groups.id, groupMembers.groupId))
      .innerJoin(workspaces, eq(workspaces.id, groups.workspaceId))
      .where(eq(groupMembers.userId, userId)),
    db
      .select({
        id: roleBindings.id,
        scopeType: roleBindings.scopeType,
        scopeId: roleBindings.scopeId,
        subjectType: roleBindings.subjectType,
        subjectId: roleBindings.subjectId,
        role: roleBindings.role,
        customRules: roles.rules,
        customWorkspaceId: roles.workspaceId,
      })
      .from(roleBindings)
      .leftJoin(
        roles,
        and(
          eq(roles.name, roleBindings.role),
          or(isNull(roles.workspaceId), eq(roles.workspaceId, bindingWorkspace)),
        ),
      )
      .where(
        or(
          and(eq(roleBindings.subjectType, 'user'), eq(roleBindings.subjectId, userId)),
          and(eq(roleBindings.subjectType, 'group'), inArray(roleBindings.subjectId, myGroupIds)),
        ),
      ),
  ] as const;
}

type PrincipalReads = ReturnType<typeof principalReads>;
export type PrincipalGroupRow = Awaited<PrincipalReads[0]>[number];
type PrincipalBindingRow = Awaited<PrincipalReads[1]>[number];

/**
 * The caller's user row, groups and every role binding (direct or through a
 * group) with rules resolved, in ONE D1 batch. Groups are named
 * `edgetower:<workspace>:<group>` (kubeGroupName): group names are only
 * unique per workspace, and these become the `groups` claim and the
 * Impersonate-Group values in clusters, where the reserved prefix keeps a
 * tenant's group from ever being one the cluster trusts (`system:masters`,
 * `kubeadm:cluster-admins`). A binding's `viaGroup` keeps the edge's own
 * `<workspace>:<group>` label. A binding's role is a
 * built-in one of its level, else a custom role of its workspace, else a
 * platform custom role; a role that no longer exists grants nothing.
 */
export async function loadPrincipal(
  db: Database,
  userId: string,
): Promise<LoadedPrincipal | undefined> {
  const [userRows, groupRows, bindingRows] = await db.batch([
    db.select().from(users).where(eq(users.id, userId)).limit(1),
    ...principalReads(db, userId),
  ]);
  const user = userRows[0];
  return user && assemblePrincipal(user, groupRows, bindingRows);
}

/** The principal from the rows of principalReads (pure: no D1). */
export function assemblePrincipal(
  user: UserRow,
  groupRows: readonly PrincipalGroupRow[],
  bindingRows: readonly PrincipalBindingRow[],
): LoadedPrincipal {
  const groupNames = new Map(groupRows.map((g) => [g.id, `${g.workspace}:${g.name}`]));
  const kubeGroups = groupRows.map((g) => kubeGroupName(g.workspace, g.name));

  const bindings = new Map<string, EffectiveBinding & { fromWorkspaceRole: boolean }>();
  for (const row of bindingRows) {
    const builtin = builtinRoleRules(row.scopeType, row.role);
    const fromWorkspaceRole = row.customWorkspaceId !== null;
    const existing = bindings.get(row.id);
    // A workspace custom role shadows a platform custom role of the same name.
    if (existing && (builtin || existing.fromWorkspaceRole || !fromWorkspaceRole)) continue;
    const binding: EffectiveBinding & { fromWorkspaceRole: boolean } = {
      scopeType: row.scopeType,
      scopeId: row.scopeId,
      role: row.role,
      rules: builtin ?? row.customRules ?? [],
      fromWorkspaceRole,
    };
    if (row.subjectType === 'group')
      binding.viaGroup = groupNames.get(row.subjectId) ?? row.subjectId;
    bindings.set(row.id, binding);
  }

  return {
    user,
    principal: {
      userId: user.id,
      username: user.name,
      platformRole: user.platformRole,
      groups: kubeGroups.sort(),
      bindings: [...bindings.values()].map(({ fromWorkspaceRole: _, ...b }) => b),
    },
  };
}
