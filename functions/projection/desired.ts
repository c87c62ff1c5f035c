import type { ProjectionBindingRow, ProjectionRows } from '../../db/queries/role-projection';
import { kubeGroupName } from '../iam/kube-subjects';
import type {
  ProjectedBinding,
  ProjectedClusterRole,
  ProjectedRole,
  ProjectedSubject,
  RoleProjection,
} from './frames';
import { translateRules } from './rule-translation';

/**
 * Workspace roles that reach into every namespace of the workspace.
 * workspace-regular and workspace-self-provisioner project nothing: in
 * KubeSphere (and at the edge, `can()`) they grant reading the workspace's
 * settings, not its projects — a regular member sees only the projects it
 * was invited to, and those invitations are namespace bindings, projected
 * below. Custom workspace roles project nothing either: their rules are
 * about edge resources of the workspace (members, groups, quotas, …), and
 * letting one become rights in every namespace of every granted cluster
 * would make a workspace-level edit of a role a cluster-wide grant.
 */
const workspaceProjection: Record<string, ProjectedClusterRole> = {
  'workspace-admin': 'admin',
  'workspace-viewer': 'view',
};

/** Built-in project roles and the Kubernetes ClusterRole each becomes in its namespace. */
const namespaceProjection: Record<string, ProjectedClusterRole> = {
  admin: 'admin',
  operator: 'edit',
  viewer: 'view',
};

const own = <T>(table: Record<string, T>, key: string): T | undefined =>
  Object.hasOwn(table, key) ? table[key] : undefined;

/** The cluster-side subject of a binding; undefined for a vanished or disabled user or group. */
function subjectOf(row: ProjectionBindingRow): ProjectedSubject | undefined {
  if (row.subjectType === 'user')
    return row.userName && row.userStatus === 'active'
      ? { kind: 'User', name: row.userName }
      : undefined;
  return row.groupName && row.groupWorkspace
    ? { kind: 'Group', name: kubeGroupName(row.groupWorkspace, row.groupName) }
    : undefined;
}

const bindingKey = (b: ProjectedBinding) =>
  `${b.roleRef.kind}/${b.roleRef.name}/${b.subject.kind}/${b.subject.name}`;

/** Sorted and deduplicated, so equal projections serialize (and hash) equally. */
function normalized(bindings: ProjectedBinding[]): ProjectedBinding[] {
  const byKey = new Map(bindings.map((b) => [bindingKey(b), b]));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, b]) => b);
}

/**
 * The desired projection of one cluster, from its tenancy rows (pure: no
 * D1). Only workspaces granted the cluster contribute; a namespace binding
 * whose role is neither built-in nor a custom role of its workspace (or a
 * platform custom role) grants nothing, as at the edge.
 */
export function desiredProjection(rows: ProjectionRows): RoleProjection {
  const workspaceNames = new Map(rows.workspaces.map((w) => [w.id, w.name]));
  const namespaceById = new Map(rows.namespaces.map((n) => [n.id, n]));
  const customRoles = new Map<string, ProjectionRows['customRoles'][number]>();
  for (const role of rows.customRoles) {
    const key = `${role.workspaceId ?? ''}/${role.name}`;
    customRoles.set(key, role);
  }
  const customRole = (workspaceId: string, role: string) =>
    customRoles.get(`${workspaceId}/${role}`) ?? customRoles.get(`/${role}`);

  const workspaceBindings = new Map<string, ProjectedBinding[]>();
  const namespaceBindings = new Map<string, ProjectedBinding[]>();
  const namespaceRoles = new Map<string, Map<string, ProjectedRole>>();
  for (const row of rows.bindings) {
    const subject = subjectOf(row);
    if (!subject) continue;
    if (row.scopeType === 'workspace') {
      const clusterRole = own(workspaceProjection, row.role);
      if (!clusterRole || !workspaceNames.has(row.scopeId)) continue;
      const list = workspaceBindings.get(row.scopeId) ?? [];
      list.push({ roleRef: { kind: 'ClusterRole', name: clusterRole }, subject });
      workspaceBindings.set(row.scopeId, list);
      continue;
    }
    if (row.scopeType !== 'namespace') continue;
    const namespace = namespaceById.get(row.scopeId);
    if (!namespace) continue;
    const list = namespaceBindings.get(namespace.id) ?? [];
    const clusterRole = own(namespaceProjection, row.role);
    if (clusterRole) {
      list.push({ roleRef: { kind: 'ClusterRole', name: clusterRole }, subject });
    } else {
      const custom = customRole(namespace.workspaceId, row.role);
      if (!custom) continue;
      const translated = translateRules(custom.rules);
      const roles = namespaceRoles.get(namespace.id) ?? new Map<string, ProjectedRole>();
      roles.set(custom.name, { name: custom.name, ...translated });
      namespaceRoles.set(namespace.id, roles);
      list.push({ roleRef: { kind: 'Role', name: custom.name }, subject });
    }
    namespaceBindings.set(namespace.id, list);
  }

  return {
    workspaces: rows.workspaces
      .filter((w) => workspaceBindings.has(w.id))
      .map((w) => ({ workspace: w.name, bindings: normalized(workspaceBindings.get(w.id) ?? []) })),
    namespaces: rows.namespaces
      .filter((n) => namespaceBindings.has(n.id))
      .map((n) => ({
        namespace: n.name,
        workspace: workspaceNames.get(n.workspaceId) ?? '',
        bindings: normalized(namespaceBindings.get(n.id) ?? []),
        roles: [...(namespaceRoles.get(n.id)?.values() ?? [])].sort((a, b) =>
          a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
        ),
      })),
  };
}

/** SHA-256 (hex) of the projection's canonical JSON: equal content, equal hash. */
export async function projectionHash(projection: RoleProjection): Promise<string> {
  const bytes = new TextEncoder().encode(JSON.stringify(projection));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return [...digest].map((b) => b.toString(16).padStart(2, '0')).join('');
}
