import type { Database } from '../../db/client';
import { quotasInCluster, usageElsewhere } from '../../db/queries/quotas';
import type { WorkspaceQuotaPush } from '../../protocol/quota-frames';
import { addAmounts, type ResourceAmounts } from '../../protocol/quota-resources';
import { canonicalHard } from './hard-limits';

export interface ClusterBundle {
  workspaces: WorkspaceQuotaPush[];
  /** Workspace name → D1 id, for the usage the agent reports back by name. */
  ids: Map<string, string>;
}

/**
 * Every quota that applies in a cluster, with what each workspace uses in
 * its other clusters: the content of one `quotas` frame.
 */
export async function clusterBundle(db: Database, clusterId: string): Promise<ClusterBundle> {
  // A quota emptied by PUT {hard: {}} caps nothing: the agents drop it.
  const quotas = (await quotasInCluster(db, clusterId)).filter(
    (q) => Object.keys(q.hard).length > 0,
  );
  const elsewhere = new Map<string, ResourceAmounts>();
  for (const row of await usageElsewhere(
    db,
    clusterId,
    quotas.map((q) => q.workspaceId),
  )) {
    elsewhere.set(row.workspaceId, addAmounts(elsewhere.get(row.workspaceId) ?? {}, row.used));
  }
  return {
    workspaces: quotas.map((q) => ({
      workspace: q.workspace,
      hard: canonicalHard(q.hard),
      usedElsewhere: elsewhere.get(q.workspaceId) ?? {},
    })),
    ids: new Map(quotas.map((q) => [q.workspace, q.workspaceId])),
  };
}
