/**
 * Kubernetes RBAC as the emulator applies it to impersonated requests:
 * the RoleBindings and ClusterRoleBindings it stores, resolving Roles and
 * ClusterRoles from the store, with the default user-facing ClusterRoles
 * (`cluster-admin`, `admin`, `edit`, `view`) built in as reasonable
 * approximations of Kubernetes' aggregated rules. Stored ClusterRoles of
 * those names win, as a cluster's own reconciled defaults would.
 */
import type { KubeStore } from './store';
import type { KubeObject } from './types';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ResourceRequest {
  user: string;
  groups: string[];
  verb: string;
  /** API group ("" for the core group). */
  group: string;
  /** Plural, or `plural/subresource`. */
  resource: string;
  namespace?: string;
  name?: string;
}

const read = ['get', 'list', 'watch'];
const write = ['create', 'update', 'patch', 'delete', 'deletecollection'];
const workloads: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: [
      'pods',
      'pods/log',
      'pods/status',
      'services',
      'endpoints',
      'configmaps',
      'persistentvolumeclaims',
      'serviceaccounts',
      'replicationcontrollers',
    ],
    verbs: [],
  },
  {
    apiGroups: ['apps'],
    resources: [
      'deployments',
      'deployments/scale',
      'statefulsets',
      'statefulsets/scale',
      'daemonsets',
      'replicasets',
      'replicasets/scale',
    ],
    verbs: [],
  },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: [] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: [] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: [] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: [] },
];
const withVerbs = (rules: PolicyRule[], verbs: string[]) => rules.map((r) => ({ ...r, verbs }));

const view: PolicyRule[] = [
  ...withVerbs(workloads, read),
  { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: read },
  { apiGroups: [''], resources: ['namespaces', 'resourcequotas', 'limitranges'], verbs: read },
];
const edit: PolicyRule[] = [
  ...view,
  ...withVerbs(workloads, write),
  { apiGroups: [''], resources: ['secrets'], verbs: [...read, ...write] },
  {
    apiGroups: [''],
    resources: ['pods/exec', 'pods/attach', 'pods/portforward'],
    verbs: ['get', 'create'],
  },
];
const admin: PolicyRule[] = [
  ...edit,
  {
    apiGroups: ['rbac.authorization.k8s.io'],
    resources: ['roles', 'rolebindings'],
    verbs: [...read, ...write],
  },
];

export const builtinClusterRoles: Record<string, PolicyRule[]> = {
  'cluster-admin': [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
  admin,
  edit,
  view,
};

const hit = (list: readonly string[] | undefined, value: string) =>
  !!list && (list.includes('*') || list.includes(value));

function ruleAllows(rule: PolicyRule, request: ResourceRequest): boolean {
  if (!hit(rule.verbs, request.verb) || !hit(rule.apiGroups, request.group)) return false;
  if (!hit(rule.resources, request.resource)) return false;
  if (!rule.resourceNames?.length) return true;
  return request.name !== undefined && rule.resourceNames.includes(request.name);
}

function rulesOf(store: KubeStore, ref: unknown, namespace: string | undefined): PolicyRule[] {
  const { kind, name } = (ref ?? {}) as { kind?: string; name?: string };
  if (!name) return [];
  if (kind === 'ClusterRole') {
    const stored = store.get('clusterroles', undefined, name);
    if (stored) return (stored.rules as PolicyRule[] | undefined) ?? [];
    return Object.hasOwn(builtinClusterRoles, name) ? (builtinClusterRoles[name] ?? []) : [];
  }
  if (kind === 'Role' && namespace !== undefined)
    return (store.get('roles', namespace, name)?.rules as PolicyRule[] | undefined) ?? [];
  return [];
}

function bindsRequester(binding: KubeObject, request: ResourceRequest): boolean {
  const subjects = (binding.subjects as { kind?: string; name?: string }[] | undefined) ?? [];
  return subjects.some(
    (s) =>
      (s.kind === 'User' && s.name === request.user) ||
      (s.kind === 'Group' && s.name !== undefined && request.groups.includes(s.name)),
  );
}

/** Whether the stored bindings allow `request` (ClusterRoleBindings anywhere, RoleBindings in its namespace). */
export function storedRbacAllows(store: KubeStore, request: ResourceRequest): boolean {
  for (const binding of store.list('clusterrolebindings'))
    if (
      bindsRequester(binding, request) &&
      rulesOf(store, binding.roleRef, undefined).some((rule) => ruleAllows(rule, request))
    )
      return true;
  if (request.namespace === undefined) return false;
  for (const binding of store.list('rolebindings', request.namespace))
    if (
      bindsRequester(binding, request) &&
      rulesOf(store, binding.roleRef, request.namespace).some((rule) => ruleAllows(rule, request))
    )
      return true;
  return false;
}
