import type { Database } from '../../db/client';
import { clustersOfWorkspace, findQuota, usageOfWorkspace } from '../../db/queries/quotas';
import type { WorkspaceRow } from '../../db/queries/workspaces';
import {
  addAmounts,
  formatAmount,
  quotaResources,
  type ResourceAmounts,
} from '../../protocol/quota-resources';
import type { QuotaView } from './schemas';

const formatted = (amounts: ResourceAmounts): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const resource of quotaResources) {
    const value = amounts[resource];
    if (value !== undefined) out[resource] = formatAmount(resource, value);
  }
  return out;
};

/** A workspace's quota with what each cluster it spans last reported, and the total. */
export async function quotaView(db: Database, workspace: WorkspaceRow): Promise<QuotaView> {
  const [quota, spans, reports] = await Promise.all([
    findQuota(db, workspace.id),
    clustersOfWorkspace(db, workspace.id),
    usageOfWorkspace(db, workspace.id),
  ]);
  const byCluster = new Map(reports.map((r) => [r.clusterId, r]));
  const total: ResourceAmounts = {};
  const clusters = spans.map((cluster) => {
    const report = byCluster.get(cluster.id);
    if (report) addAmounts(total, report.used);
    return {
      cluster: cluster.name,
      used: report ? formatted(report.used) : {},
      reportedAt: report ? report.reportedAt.toISOString() : null,
    };
  });
  return {
    workspace: workspace.name,
    hard: quota?.hard ?? {},
    used: formatted(total),
    clusters,
    revision: quota?.revision ?? 0,
    updatedBy: quota?.updatedBy ?? null,
    updatedAt: quota ? quota.updatedAt.toISOString() : null,
  };
}
