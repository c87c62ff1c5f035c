import type { Database } from '../../db/client';
import { type ClusterRecord, listClusterRecords } from '../../db/queries/clusters';
import { listClustersReachable } from '../../db/queries/workspace-clusters';
import type { Principal } from '../auth/principal';
import { can, platformScope } from '../iam/authorize';

/** The first screen shows at most this many clusters; the clusters page pages through the rest. */
export const OVERVIEW_CLUSTER_LIMIT = 200;

/**
 * The clusters the caller may know exist, by name: every cluster for
 * platform-wide readers, else those of their cluster roles, those granted to
 * their workspaces and those holding one of their namespaces — the same rule
 * as GET /api/v1/clusters, so the overview never shows more than the list.
 */
export async function visibleClusterRecords(
  db: Database,
  principal: Principal,
  limit = OVERVIEW_CLUSTER_LIMIT,
): Promise<ClusterRecord[]> {
  const rows = can(principal, 'list', 'clusters', platformScope)
    ? await listClusterRecords(db, { limit })
    : await listClustersReachable(db, { limit }, principal.userId);
  return rows.slice(0, limit);
}
