import type { ScopeType } from './schema/role-bindings';
import type { PolicyRule } from './schema/roles';
import type { PlatformRole } from './schema/users';

/**
 * Resources a read-only role may see. Deliberately explicit rather than '*':
 * audit logs, API tokens and identity-provider settings are not "reading the
 * workspace", and new resources stay private until listed here.
 */
export const viewableResources = [
  'workspaces',
  'members',
  'clustermembers',
  'groups',
  'roles',
  'clusters',
  'namespaces',
  'nodes',
  'events',
  'k8s',
  'monitoring',
  'metering',
  'bills',
  'quotas',
  'alerts',
  'silences',
  'receivers',
  'channels',
  'notifications',
  'apps',
] as const;

/** Verbs a rule may name (besides '*'). */
export const knownVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'] as const;

/**
 * Every resource a rule may name (besides '*'). `clustermembers` is distinct
 * from `members` (workspace and project members) so that a platform rule on
 * workspace membership never reaches cluster membership.
 */
export const knownResources = [
  ...viewableResources,
  'users',
  'audit',
  'tokens',
  'identityproviders',
] as const;

const all: PolicyRule = { verbs: ['*'], resources: ['*'] };
const read = (...resources: string[]): PolicyRule => ({
  verbs: ['get', 'list', 'watch'],
  resources,
});
const readAll = read(...viewableResources);

export const builtinPlatformRoles: Record<PlatformRole, PolicyRule[]> = {
  'platform-admin': [all],
  'platform-regular': [],
  'users-manager': [{ verbs: ['*'], resources: ['users'] }, read('roles')],
  'workspaces-manager': [
    {
      verbs: ['*'],
      resources: ['workspaces', 'members', 'groups', 'namespaces', 'roles', 'quotas'],
    },
    read('users', 'clusters'),
  ],
};

// Regular members see the workspace's settings, its quota among them.
const workspaceRegular: PolicyRule[] = [
  read('workspaces'),
  read('members', 'groups', 'roles', 'quotas'),
];

/** Built-in roles bindable at each level, KubeSphere 3.1's set. */
export const builtinScopedRoles: Record<ScopeType, Record<string, PolicyRule[]>> = {
  cluster: {
    'cluster-admin': [all],
    'cluster-viewer': [readAll],
  },
  workspace: {
    'workspace-admin': [all],
    'workspace-regular': workspaceRegular,
    'workspace-viewer': [readAll],
    'workspace-self-provisioner': [
      ...workspaceRegular,
      { verbs: ['create'], resources: ['namespaces'] },
    ],
  },
  namespace: {
    admin: [all],
    operator: [
      readAll,
      {
        verbs: ['create', 'update', 'patch', 'delete'],
        resources: ['k8s', 'silences', 'alerts', 'apps', 'monitoring'],
      },
    ],
    viewer: [readAll],
  },
};

export function builtinRoleRules(scope: ScopeType, role: string): PolicyRule[] | undefined {
  // Own properties only: a role named "constructor" must not find Object's.
  const roles = builtinScopedRoles[scope];
  return Object.hasOwn(roles, role) ? roles[role] : undefined;
}

/** Names users may not take for custom roles, workspaces, clusters or users. */
export const reservedNames = new Set([
  'admin',
  'system',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'default',
  'edgetower',
  'kubesphere-system',
  'me',
  'all',
  'new',
]);
