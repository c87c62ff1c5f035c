import { z } from '@hono/zod-openapi';
import { ApiError } from '../errors';
import { reservedNames } from './builtin-roles';
import { isReservedTenantName } from './kube-subjects';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A DNS-1123 label: how every user, workspace, group, role and namespace is named. */
export const dnsLabel = z
  .string()
  .max(63, 'at most 63 characters')
  .regex(dns1123Label, 'lowercase letters, digits and "-", starting and ending alphanumeric');

/** A name for something new: a DNS-1123 label that is not reserved. */
export const newName = dnsLabel.refine((name) => !reservedNames.has(name), {
  message: 'this name is reserved',
});

/**
 * A new workspace or group name. Names with a reserved prefix pass here to
 * be refused by assertTenantName with their own code (`name_reserved`).
 */
export const tenantName = dnsLabel.refine(
  (name) => !reservedNames.has(name) || isReservedTenantName(name),
  { message: 'this name is reserved' },
);

/**
 * Refuses a workspace or group name that could make a group a cluster
 * already trusts (`system:*`, `kubeadm:*`, ...) or pass for edgetower's own.
 */
export function assertTenantName(name: string): void {
  if (isReservedTenantName(name))
    throw new ApiError(
      400,
      `"${name}" is reserved: names starting with system, kube or edgetower belong to Kubernetes and edgetower.`,
      { code: 'name_reserved', fields: [{ path: 'name', message: 'reserved prefix' }] },
    );
}

/**
 * Namespaces a workspace may never take, whoever asks: the cluster's own
 * (`default`, `kube-*`), KubeEdge's, KubeSphere's and edgetower's.
 */
export const isReservedNamespace = (name: string): boolean =>
  ['default', 'kubeedge', 'kubesphere', 'edgetower'].includes(name) ||
  /^(kube|kubesphere|edgetower)-/.test(name);
