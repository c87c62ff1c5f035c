import { describe, expect, it } from 'vitest';
import { builtinRoleRules } from '../../db/builtin-roles';
import type { EffectiveBinding, Principal } from '../../db/principal';
import type { PlatformRole, ScopeType } from '../../db/schema';
import {
  authorize,
  can,
  canGrant,
  canSee,
  platformScope,
  type Scope,
} from '../../functions/iam/authorize';

// Pure decisions: principals are built by hand, no database.
const alpha: Scope = { level: 'workspace', workspaceId: 'ws-alpha' };
const beta: Scope = { level: 'workspace', workspaceId: 'ws-beta' };
const east: Scope = { level: 'cluster', clusterId: 'cl-east' };
const west: Scope = { level: 'cluster', clusterId: 'cl-west' };
const alphaWeb: Scope = {
  level: 'namespace',
  namespaceId: 'ns-alpha-web',
  workspaceId: 'ws-alpha',
  clusterId: 'cl-east',
};
const alphaDb: Scope = {
  level: 'namespace',
  namespaceId: 'ns-alpha-db',
  workspaceId: 'ws-alpha',
  clusterId: 'cl-west',
};
const betaWeb: Scope = {
  level: 'namespace',
  namespaceId: 'ns-beta-web',
  workspaceId: 'ws-beta',
  clusterId: 'cl-east',
};

const binding = (
  scopeType: ScopeType,
  scopeId: string,
  role: string,
  viaGroup?: string,
): EffectiveBinding => ({
  scopeType,
  scopeId,
  role,
  rules: builtinRoleRules(scopeType, role) ?? [],
  ...(viaGroup ? { viaGroup } : {}),
});

const principal = (
  platformRole: PlatformRole,
  bindings: EffectiveBinding[] = [],
  scopes: string[] = [],
): Principal => ({
  userId: 'u',
  username: 'u',
  platformRole,
  groups: [],
  bindings,
  via: scopes.length ? 'api-token' : 'access-token',
  scopes,
});

const who = {
  platformAdmin: principal('platform-admin'),
  regular: principal('platform-regular'),
  usersManager: principal('users-manager'),
  workspacesManager: principal('workspaces-manager'),
  eastAdmin: principal('platform-regular', [binding('cluster', 'cl-east', 'cluster-admin')]),
  eastViewer: principal('platform-regular', [binding('cluster', 'cl-east', 'cluster-viewer')]),
  alphaAdmin: principal('platform-regular', [binding('workspace', 'ws-alpha', 'workspace-admin')]),
  alphaRegular: principal('platform-regular', [
    binding('workspace', 'ws-alpha', 'workspace-regular'),
  ]),
  alphaViewer: principal('platform-regular', [
    binding('workspace', 'ws-alpha', 'workspace-viewer'),
  ]),
  alphaProvisioner: principal('platform-regular', [
    binding('workspace', 'ws-alpha', 'workspace-self-provisioner'),
  ]),
  projAdmin: principal('platform-regular', [binding('namespace', 'ns-alpha-web', 'admin')]),
  projOperator: principal('platform-regular', [binding('namespace', 'ns-alpha-web', 'operator')]),
  projViewer: principal('platform-regular', [binding('namespace', 'ns-alpha-web', 'viewer')]),
  groupViewer: principal('platform-regular', [
    binding('workspace', 'ws-alpha', 'workspace-viewer', 'alpha:devs'),
  ]),
  custom: principal('platform-regular', [
    {
      scopeType: 'workspace',
      scopeId: 'ws-alpha',
      role: 'quota-keeper',
      rules: [{ verbs: ['get', 'update'], resources: ['quotas'] }],
    },
  ]),
  adminToken: principal('platform-admin', [], ['list:workspaces', 'get:*']),
  wildcardToken: principal('platform-admin', [], ['*:users']),
  adminStaleRole: principal('platform-regular', [
    { scopeType: 'workspace', scopeId: 'ws-alpha', role: 'deleted-role', rules: [] },
  ]),
} satisfies Record<string, Principal>;
type Who = keyof typeof who;

// [who, verb, resource, scope, expected]
const cases: [Who, string, string, Scope, boolean][] = [
  // platform roles
  ['platformAdmin', 'delete', 'workspaces', beta, true],
  ['platformAdmin', 'create', 'users', platformScope, true],
  ['platformAdmin', 'list', 'audit', platformScope, true],
  ['platformAdmin', 'delete', 'k8s', betaWeb, true],
  ['regular', 'list', 'workspaces', platformScope, false],
  ['regular', 'get', 'users', platformScope, false],
  ['regular', 'get', 'workspaces', alpha, false],
  ['regular', 'get', 'k8s', alphaWeb, false],
  ['usersManager', 'create', 'users', platformScope, true],
  ['usersManager', 'delete', 'users', platformScope, true],
  ['usersManager', 'list', 'roles', platformScope, true],
  ['usersManager', 'create', 'roles', platformScope, false],
  ['usersManager', 'create', 'workspaces', platformScope, false],
  ['usersManager', 'get', 'workspaces', alpha, false],
  ['workspacesManager', 'create', 'workspaces', platformScope, true],
  ['workspacesManager', 'delete', 'workspaces', beta, true],
  ['workspacesManager', 'create', 'members', alpha, true],
  ['workspacesManager', 'create', 'namespaces', beta, true],
  ['workspacesManager', 'list', 'users', platformScope, true],
  ['workspacesManager', 'create', 'users', platformScope, false],
  ['workspacesManager', 'create', 'clustermembers', east, false],
  ['workspacesManager', 'list', 'audit', platformScope, false],
  // cluster roles: their cluster and its namespaces, nothing else
  ['eastAdmin', 'create', 'clustermembers', east, true],
  ['eastAdmin', 'delete', 'k8s', alphaWeb, true],
  ['eastAdmin', 'delete', 'k8s', betaWeb, true],
  ['eastAdmin', 'get', 'k8s', alphaDb, false],
  ['eastAdmin', 'create', 'clustermembers', west, false],
  ['eastAdmin', 'get', 'workspaces', alpha, false],
  ['eastAdmin', 'list', 'users', platformScope, false],
  ['eastViewer', 'list', 'clustermembers', east, true],
  ['eastViewer', 'get', 'nodes', east, true],
  ['eastViewer', 'create', 'clustermembers', east, false],
  ['eastViewer', 'delete', 'k8s', alphaWeb, false],
  ['eastViewer', 'list', 'k8s', alphaWeb, true],
  // workspace roles: their workspace and its namespaces
  ['alphaAdmin', 'create', 'members', alpha, true],
  ['alphaAdmin', 'delete', 'workspaces', alpha, true],
  ['alphaAdmin', 'create', 'roles', alpha, true],
  ['alphaAdmin', 'list', 'audit', alpha, true],
  ['alphaAdmin', 'delete', 'k8s', alphaDb, true],
  ['alphaAdmin', 'create', 'members', beta, false],
  ['alphaAdmin', 'get', 'workspaces', beta, false],
  ['alphaAdmin', 'get', 'k8s', betaWeb, false],
  ['alphaAdmin', 'create', 'workspaces', platformScope, false],
  ['alphaAdmin', 'list', 'users', platformScope, false],
  ['alphaAdmin', 'list', 'audit', platformScope, false],
  ['alphaAdmin', 'create', 'clustermembers', east, false],
  ['alphaRegular', 'get', 'workspaces', alpha, true],
  ['alphaRegular', 'list', 'members', alpha, true],
  ['alphaRegular', 'create', 'members', alpha, false],
  ['alphaRegular', 'create', 'namespaces', alpha, false],
  ['alphaRegular', 'list', 'namespaces', alpha, false],
  ['alphaRegular', 'list', 'audit', alpha, false],
  ['alphaViewer', 'list', 'namespaces', alpha, true],
  ['alphaViewer', 'get', 'k8s', alphaWeb, true],
  ['alphaViewer', 'watch', 'k8s', alphaDb, true],
  ['alphaViewer', 'create', 'members', alpha, false],
  ['alphaViewer', 'update', 'workspaces', alpha, false],
  ['alphaViewer', 'delete', 'k8s', alphaWeb, false],
  ['alphaViewer', 'list', 'audit', alpha, false],
  ['alphaViewer', 'list', 'tokens', alpha, false],
  ['alphaViewer', 'get', 'workspaces', beta, false],
  ['alphaProvisioner', 'create', 'namespaces', alpha, true],
  ['alphaProvisioner', 'delete', 'namespaces', alpha, false],
  ['alphaProvisioner', 'create', 'members', alpha, false],
  ['alphaProvisioner', 'create', 'namespaces', beta, false],
  // project roles: one namespace only
  ['projAdmin', 'create', 'members', alphaWeb, true],
  ['projAdmin', 'delete', 'namespaces', alphaWeb, true],
  ['projAdmin', 'delete', 'k8s', alphaWeb, true],
  ['projAdmin', 'get', 'k8s', alphaDb, false],
  ['projAdmin', 'get', 'workspaces', alpha, false],
  ['projAdmin', 'create', 'members', alpha, false],
  ['projOperator', 'create', 'k8s', alphaWeb, true],
  ['projOperator', 'update', 'silences', alphaWeb, true],
  ['projOperator', 'list', 'members', alphaWeb, true],
  ['projOperator', 'create', 'members', alphaWeb, false],
  ['projOperator', 'delete', 'namespaces', alphaWeb, false],
  ['projOperator', 'create', 'k8s', alphaDb, false],
  ['projViewer', 'get', 'k8s', alphaWeb, true],
  ['projViewer', 'list', 'members', alphaWeb, true],
  ['projViewer', 'create', 'k8s', alphaWeb, false],
  ['projViewer', 'get', 'k8s', betaWeb, false],
  // groups bind like users
  ['groupViewer', 'list', 'members', alpha, true],
  ['groupViewer', 'get', 'k8s', alphaDb, true],
  ['groupViewer', 'create', 'members', alpha, false],
  ['groupViewer', 'get', 'workspaces', beta, false],
  // custom roles: exactly their rules
  ['custom', 'update', 'quotas', alpha, true],
  ['custom', 'get', 'quotas', alphaWeb, true],
  ['custom', 'delete', 'quotas', alpha, false],
  ['custom', 'get', 'members', alpha, false],
  ['custom', 'update', 'quotas', beta, false],
  ['adminStaleRole', 'get', 'workspaces', alpha, false],
  // API-token scopes narrow even a platform admin, never widen
  ['adminToken', 'list', 'workspaces', platformScope, true],
  ['adminToken', 'get', 'users', platformScope, true],
  ['adminToken', 'create', 'workspaces', platformScope, false],
  ['adminToken', 'delete', 'users', platformScope, false],
  ['wildcardToken', 'delete', 'users', platformScope, true],
  ['wildcardToken', 'get', 'workspaces', alpha, false],
];

describe('can(principal, verb, resource, scope)', () => {
  it.each(cases)('%s %s %s at %o -> %s', (name, verb, resource, scope, expected) => {
    expect(can(who[name], verb, resource, scope)).toBe(expected);
  });

  it('covers every built-in role', () => {
    const roles = new Set(
      Object.values(who).flatMap((p) => [p.platformRole, ...p.bindings.map((b) => b.role)]),
    );
    for (const role of [
      'platform-admin',
      'platform-regular',
      'users-manager',
      'workspaces-manager',
      'cluster-admin',
      'cluster-viewer',
      'workspace-admin',
      'workspace-regular',
      'workspace-viewer',
      'workspace-self-provisioner',
      'admin',
      'operator',
      'viewer',
    ])
      expect(roles.has(role), role).toBe(true);
  });
});

describe('canSee: who may know a scope exists', () => {
  const cases: [Who, Scope, boolean][] = [
    ['regular', alpha, false],
    ['alphaRegular', alpha, true],
    ['alphaRegular', beta, false],
    // a workspace role alone does not reveal the projects (KubeSphere: invited projects only)
    ['alphaRegular', alphaWeb, false],
    ['alphaViewer', alphaWeb, true],
    ['projViewer', alphaWeb, true],
    ['projViewer', alphaDb, false],
    ['eastViewer', east, true],
    ['eastViewer', west, false],
    ['eastAdmin', betaWeb, true],
    ['workspacesManager', beta, true],
    ['usersManager', beta, false],
    ['groupViewer', alpha, true],
  ];
  it.each(cases)('%s sees %o: %s', (name, scope, expected) => {
    expect(canSee(who[name], scope)).toBe(expected);
  });
});

describe('authorize: 404 for what the caller cannot see, 403 for what it can', () => {
  it('throws 404 across tenants and 403 inside its own', () => {
    expect(() => authorize(who.alphaViewer, 'create', 'members', beta, 'Workspace')).toThrow(
      expect.objectContaining({ status: 404 }),
    );
    expect(() => authorize(who.alphaViewer, 'create', 'members', alpha, 'Workspace')).toThrow(
      expect.objectContaining({ status: 403 }),
    );
    expect(() => authorize(who.alphaAdmin, 'create', 'members', alpha, 'Workspace')).not.toThrow();
  });
});

describe('canGrant: no escalation through roles', () => {
  const cases: [Who, { verbs: string[]; resources: string[] }[], Scope, boolean][] = [
    ['alphaAdmin', [{ verbs: ['*'], resources: ['*'] }], alpha, true],
    ['alphaAdmin', [{ verbs: ['*'], resources: ['*'] }], beta, false],
    ['alphaViewer', [{ verbs: ['get'], resources: ['members'] }], alpha, true],
    ['alphaViewer', [{ verbs: ['get', 'delete'], resources: ['members'] }], alpha, false],
    ['alphaViewer', [{ verbs: ['get'], resources: ['*'] }], alpha, false],
    ['custom', [{ verbs: ['get'], resources: ['quotas'] }], alpha, true],
    ['custom', [{ verbs: ['*'], resources: ['quotas'] }], alpha, false],
    ['usersManager', [{ verbs: ['*'], resources: ['users'] }], platformScope, true],
    ['usersManager', [{ verbs: ['*'], resources: ['*'] }], platformScope, false],
  ];
  it.each(cases)('%s grants %j at %o: %s', (name, rules, scope, expected) => {
    expect(canGrant(who[name], rules, scope)).toBe(expected);
  });
});
