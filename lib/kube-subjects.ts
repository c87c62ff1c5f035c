/**
 * How edgetower names its tenants' groups inside member clusters: as
 * Impersonate-Group values and as RoleBinding subjects. The `edgetower:`
 * prefix is reserved (workspace and group names may not start with
 * `system`, `kube` or `edgetower`), so no tenant-made name can produce a
 * group that a cluster already trusts (`system:masters`, `kubeadm:*`, ...).
 */
export const KUBE_GROUP_PREFIX = 'edgetower:';

export const kubeGroupName = (workspace: string, group: string): string =>
  `${KUBE_GROUP_PREFIX}${workspace}:${group}`;

/** Names tenants may not give a workspace or group: reserved by Kubernetes, KubeSphere or edgetower. */
export const isReservedTenantName = (name: string): boolean =>
  /^(system|kube|edgetower)/.test(name);
