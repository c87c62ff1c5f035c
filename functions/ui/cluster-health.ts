import type { AlertView } from '../alerting/alert-groups';
import { clusterHealth, isProblem } from '../overview/attention';
import type { ClusterHealth, OverviewCluster } from '../overview/schemas';

/** A cluster's rolled-up health from its view and the visible alerts (the overview's own rule). */
export function healthOf(
  cluster: Pick<OverviewCluster, 'name' | 'status' | 'nodes'>,
  alerts: AlertView[],
): { health: ClusterHealth; problems: { critical: number; warning: number } } {
  const problems = { critical: 0, warning: 0 };
  for (const a of alerts)
    if (a.labels.cluster === cluster.name && isProblem(a))
      problems[a.labels.severity === 'critical' ? 'critical' : 'warning'] += 1;
  return { health: clusterHealth(cluster, problems), problems };
}
