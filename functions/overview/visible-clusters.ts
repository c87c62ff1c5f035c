import type { Database } from '../../db/client';
import {
  type ClusterRecord,
  listClusterRecords,
  placementsReachable,
} from '../../db/queries/clusters';
import type { Principal } from '../auth/principal';
import { can, platformScope } from '../iam/authorize';

/** The first screen shows at most this many clusters; the clusters page pages through the rest. */
export const OVERVIEW_CLUSTER_LIMIT = 200;

const bindingIds = (principal: Principal, type: 'cluster' | 'workspace' | 'namespace') =>
  principal.bindings.filter((b) => b.scopeType === type).map((b) => b.scopeId);

/**
 * The clusters the caller may know exist, by name: every cluster for
 * platform-wide readers, else those of their cluster roles and those holding
 * a namespace their workspace or namespace roles reach — the same rule as
 * GET /api/v1/clusters, so the overview never shows more than the list.
 */
export async function visibleClusterRecords(
  db: Database,
  principal: Principal,
  limit = OVERVIEW_CLUSTER_LIMIT,
): Promise<ClusterRecord[]> {
  if (can(principal, 'list', 'clusters', platformScope))
    return (await listClusterRecords(db, { limit })).slice(0, limit);
  const ids = new Set(bindingIds(principal, 'cluster'));
  const placements = await placementsReachable(db, {
    workspaceIds: bindingIds(principal, 'workspace'),
    namespaceIds: bindingIds(principal, 'namespace'),
  });
  for (const p of placements) ids.add(p.clusterId);
  if (ids.size === 0) return [];
  return (await listClusterRecords(db, { limit }, [...ids])).slice(0, limit);
}
