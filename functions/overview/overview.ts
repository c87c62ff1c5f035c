import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import type { AlertView } from '../alerting/alert-groups';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { Env } from '../env';
import { clusterHealth, isProblem, needsAttention } from './attention';
import { haltedAppItems } from './halted-apps';
import type { Overview, OverviewCluster, OverviewSpend } from './schemas';
import { visibleShardAlerts } from './visible-alerts';
import { OVERVIEW_CLUSTER_LIMIT, visibleClusterRecords } from './visible-clusters';

/** This month's spend, supplied by metering when it exists (see functions/overview/spend.ts). */
export type SpendSource = (
  env: Env,
  db: Database,
  principal: Principal,
  now: Date,
) => Promise<OverviewSpend | null>;

export const severityOf = (alert: Pick<AlertView, 'labels'>) => alert.labels.severity || 'none';

/**
 * Everything the dashboard's first screen shows, in one call: the clusters
 * the caller may see with live status (their tunnels are asked in
 * parallel), firing alerts by severity and this month's spend. The API route
 * and the server-rendered overview page both call this, so the page needs a
 * single round trip.
 */
export async function loadOverview(
  env: Env,
  db: Database,
  principal: Principal,
  now: Date,
  spendOf: SpendSource,
): Promise<Overview> {
  const records = await visibleClusterRecords(db, principal, OVERVIEW_CLUSTER_LIMIT + 1);
  const shown = records.slice(0, OVERVIEW_CLUSTER_LIMIT);
  const [statuses, alerts, spend, halted] = await Promise.all([
    Promise.all(shown.map((r) => tunnelOf(env, r.id).status())),
    visibleShardAlerts(
      env,
      db,
      principal,
      shown.map((r) => r.name),
      now.getTime(),
    ),
    spendOf(env, db, principal, now),
    haltedAppItems(db, principal),
  ]);
  const firing = alerts.filter((a) => a.alert.state === 'active');
  const firingPerCluster = new Map<string, number>();
  const bySeverity: Record<string, number> = {};
  for (const { alert, cluster } of firing) {
    // Counted for the cluster whose shard holds it, never by a label naming a later cluster.
    if (cluster) firingPerCluster.set(cluster, (firingPerCluster.get(cluster) ?? 0) + 1);
    const severity = severityOf(alert);
    bySeverity[severity] = (bySeverity[severity] ?? 0) + 1;
  }
  const problemsPerCluster = new Map<string, { critical: number; warning: number }>();
  for (const { alert, cluster: shardCluster } of alerts) {
    if (!isProblem(alert)) continue;
    // By the shard that holds it, like the firing counts: a label may name a later cluster.
    const cluster = shardCluster ?? '';
    const counts = problemsPerCluster.get(cluster) ?? { critical: 0, warning: 0 };
    counts[alert.labels.severity === 'critical' ? 'critical' : 'warning'] += 1;
    problemsPerCluster.set(cluster, counts);
  }
  const clusters: OverviewCluster[] = shown.map((record, i) => {
    const status = statuses[i]!;
    const problems = problemsPerCluster.get(record.name) ?? { critical: 0, warning: 0 };
    return {
      health: clusterHealth(status, problems),
      problems,
      name: record.name,
      status: status.status,
      lastSeen: status.lastSeen,
      kubernetesVersion: status.kubernetesVersion,
      nodes: status.nodes,
      firingAlerts: firingPerCluster.get(record.name) ?? 0,
    };
  });
  const count = (s: OverviewCluster['status']) => clusters.filter((c) => c.status === s).length;
  return {
    generatedAt: now.toISOString(),
    clusters,
    clustersTruncated: records.length > OVERVIEW_CLUSTER_LIMIT,
    totals: {
      clusters: {
        total: clusters.length,
        connected: count('connected'),
        disconnected: count('disconnected'),
        pending: count('pending'),
      },
      nodes: {
        total: clusters.reduce((n, c) => n + c.nodes.total, 0),
        ready: clusters.reduce((n, c) => n + c.nodes.ready, 0),
        edge: clusters.reduce((n, c) => n + c.nodes.edge, 0),
      },
    },
    alerts: { firing: firing.length, suppressed: alerts.length - firing.length, bySeverity },
    spend,
    attention: needsAttention(
      clusters,
      alerts.map((a) => a.alert),
      halted,
    ),
  };
}
