import type { Principal } from '../../db/principal';
import type { Placement } from '../../db/queries/alerts';
import { can, platformScope, type Scope } from '../iam/authorize';
import type { Labels } from './labels';

/** Cluster ids by name and placements by `<clusterId>/<namespace>`, for resolving alert labels. */
export interface Tenancy {
  clusterIds: Map<string, string>;
  placements: Map<string, Placement>;
}

export const placementKey = (clusterId: string, namespace: string) => `${clusterId}/${namespace}`;

/**
 * The IAM scope an alert (or a silence's equality matchers) belongs to: its
 * namespace when that namespace is placed in a workspace, else its cluster,
 * else the platform.
 */
export function scopeOfLabels(labels: Labels, tenancy: Tenancy): Scope {
  const clusterId = labels.cluster ? tenancy.clusterIds.get(labels.cluster) : undefined;
  if (!clusterId) return platformScope;
  const placement = labels.namespace
    ? tenancy.placements.get(placementKey(clusterId, labels.namespace))
    : undefined;
  return placement
    ? {
        level: 'namespace',
        namespaceId: placement.namespaceId,
        workspaceId: placement.workspaceId,
        clusterId,
      }
    : { level: 'cluster', clusterId };
}

export const mayOnLabels = (
  principal: Principal,
  verb: string,
  resource: string,
  labels: Labels,
  tenancy: Tenancy,
) => can(principal, verb, resource, scopeOfLabels(labels, tenancy));
