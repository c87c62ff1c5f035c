import { kindKey } from './objects';

/**
 * Kinds the agent's ServiceAccount may list and watch cluster-wide (its
 * ClusterRole, agents/deploy/rbac.yaml): one shared watch each. Others
 * (Secrets, custom resources) are watched per app, as its editor.
 */
export const AGENT_READABLE_KINDS: readonly [string, string][] = [
  ['v1', 'ConfigMap'],
  ['v1', 'Service'],
  ['v1', 'ServiceAccount'],
  ['v1', 'PersistentVolumeClaim'],
  ['apps/v1', 'Deployment'],
  ['apps/v1', 'StatefulSet'],
  ['apps/v1', 'DaemonSet'],
  ['batch/v1', 'Job'],
  ['batch/v1', 'CronJob'],
  ['autoscaling/v2', 'HorizontalPodAutoscaler'],
  ['networking.k8s.io/v1', 'Ingress'],
  ['policy/v1', 'PodDisruptionBudget'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
];
export const AGENT_READABLE = new Set(AGENT_READABLE_KINDS.map(([v, k]) => kindKey(v, k)));

/**
 * Kinds looked at for pruning, deletion and `delivery-state` besides those an
 * app names: the shared-watch kinds plus Secrets (read per app, as its editor).
 */
export const COMMON_KINDS: readonly [string, string][] = [
  ...AGENT_READABLE_KINDS,
  ['v1', 'Secret'],
];
