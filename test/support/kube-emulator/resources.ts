/** The API resources the emulator serves, keyed by their plural name. */

export interface ResourceDef {
  /** Plural name, unique across the emulator ("pods", "deployments"). */
  plural: string;
  kind: string;
  /** "" for the core group. */
  group: string;
  version: string;
  namespaced: boolean;
  verbs: string[];
}

const rw = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];

export const RESOURCES: ResourceDef[] = [
  {
    plural: 'namespaces',
    kind: 'Namespace',
    group: '',
    version: 'v1',
    namespaced: false,
    verbs: rw,
  },
  { plural: 'nodes', kind: 'Node', group: '', version: 'v1', namespaced: false, verbs: rw },
  { plural: 'pods', kind: 'Pod', group: '', version: 'v1', namespaced: true, verbs: rw },
  { plural: 'events', kind: 'Event', group: '', version: 'v1', namespaced: true, verbs: rw },
  { plural: 'secrets', kind: 'Secret', group: '', version: 'v1', namespaced: true, verbs: rw },
  {
    plural: 'configmaps',
    kind: 'ConfigMap',
    group: '',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  { plural: 'services', kind: 'Service', group: '', version: 'v1', namespaced: true, verbs: rw },
  {
    plural: 'persistentvolumeclaims',
    kind: 'PersistentVolumeClaim',
    group: '',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'deployments',
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'replicasets',
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'statefulsets',
    kind: 'StatefulSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'daemonsets',
    kind: 'DaemonSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  { plural: 'jobs', kind: 'Job', group: 'batch', version: 'v1', namespaced: true, verbs: rw },
  {
    plural: 'cronjobs',
    kind: 'CronJob',
    group: 'batch',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    group: '',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
    group: 'autoscaling',
    version: 'v2',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'ingresses',
    kind: 'Ingress',
    group: 'networking.k8s.io',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  // A custom resource (the CronTab of Kubernetes' CRD documentation): delivery resolves kinds by discovery.
  {
    plural: 'crontabs',
    kind: 'CronTab',
    group: 'stable.example.com',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'leases',
    kind: 'Lease',
    group: 'coordination.k8s.io',
    version: 'v1',
    namespaced: true,
    verbs: rw,
  },
  {
    plural: 'validatingwebhookconfigurations',
    kind: 'ValidatingWebhookConfiguration',
    group: 'admissionregistration.k8s.io',
    version: 'v1',
    namespaced: false,
    verbs: rw,
  },
  ...(['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'] as const).map((kind) => ({
    plural: `${kind.toLowerCase()}s`,
    kind,
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    namespaced: !kind.startsWith('Cluster'),
    verbs: rw,
  })),
];

export const RESOURCE_BY_PLURAL = new Map(RESOURCES.map((r) => [r.plural, r]));

export function apiVersionOf(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** Finds the resource served at `group/version` under `plural`. */
export function findResource(
  group: string,
  version: string,
  plural: string,
): ResourceDef | undefined {
  const def = RESOURCE_BY_PLURAL.get(plural);
  return def && def.group === group && def.version === version ? def : undefined;
}
