/**
 * How an edgetower custom rule (verbs × edgetower resources) becomes
 * Kubernetes RBAC rules in a namespace Role. edgetower's vocabulary names
 * edge resources; only three of them reach into a cluster's API:
 *
 * | edgetower resource | Kubernetes rules in the Role                                       |
 * | ------------------ | ------------------------------------------------------------------ |
 * | `k8s`              | the namespaced workload resources of Kubernetes' `edit` role (below); |
 * |                    | `secrets` only when the rule also writes (as `edit` has them, `view` not) |
 * | `events`           | `events` ("" and events.k8s.io), read verbs only                   |
 * | `namespaces`       | the namespace object itself, read verbs only (placement stays at the edge) |
 * | `*`                | all three of the above                                             |
 * | anything else      | nothing: it is an edge resource (alerts, metering, members, …);   |
 * |                    | listed in the Role's `edgetower.io/edge-only-resources` annotation |
 *
 * Verbs map one to one (`get list watch create update patch delete`); `*`
 * becomes those seven plus `deletecollection`. A Kubernetes `*` is never
 * emitted, and no rule ever names RBAC objects, so a custom role can never
 * let a tenant bind, escalate or impersonate inside the cluster.
 */
import type { PolicyRule } from '../../db/schema/roles';
import type { KubePolicyRule } from './frames';

const readVerbs = ['get', 'list', 'watch'] as const;
const allVerbs = [...readVerbs, 'create', 'update', 'patch', 'delete', 'deletecollection'];
const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);

/** What `k8s` means in a namespace: the resources tenants run workloads with. */
export const workloadRules: readonly { apiGroups: string[]; resources: string[] }[] = [
  {
    apiGroups: [''],
    resources: [
      'pods',
      'pods/log',
      'pods/exec',
      'pods/attach',
      'pods/portforward',
      'services',
      'endpoints',
      'configmaps',
      'persistentvolumeclaims',
      'serviceaccounts',
      'replicationcontrollers',
    ],
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
  },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'] },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'] },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'] },
];

/** The edgetower resources that mean something inside a cluster. */
const clusterResources = new Set(['k8s', 'events', 'namespaces']);

function kubeVerbs(verbs: readonly string[]): string[] {
  if (verbs.includes('*')) return [...allVerbs];
  return allVerbs.filter((verb) => verbs.includes(verb));
}

export interface TranslatedRole {
  rules: KubePolicyRule[];
  /** Edge resources the role names that have no meaning in the cluster, sorted. */
  edgeOnly: string[];
}

/** Translates a custom role's rules; pure and deterministic (the projection hash depends on it). */
export function translateRules(rules: readonly PolicyRule[]): TranslatedRole {
  const out: KubePolicyRule[] = [];
  const edgeOnly = new Set<string>();
  for (const rule of rules) {
    const verbs = kubeVerbs(rule.verbs);
    const any = rule.resources.includes('*');
    for (const resource of rule.resources)
      if (resource !== '*' && !clusterResources.has(resource)) edgeOnly.add(resource);
    if (verbs.length === 0) continue;
    if (any || rule.resources.includes('k8s')) {
      for (const group of workloadRules) out.push({ ...group, verbs });
      if (verbs.some((verb) => writeVerbs.has(verb)))
        out.push({ apiGroups: [''], resources: ['secrets'], verbs });
    }
    const reads = verbs.filter((verb) => !writeVerbs.has(verb));
    if (reads.length === 0) continue;
    if (any || rule.resources.includes('events')) {
      out.push({ apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: reads });
    }
    if (any || rule.resources.includes('namespaces'))
      out.push({ apiGroups: [''], resources: ['namespaces'], verbs: reads });
  }
  return { rules: out, edgeOnly: [...edgeOnly].sort() };
}
