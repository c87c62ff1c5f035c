import type { ClusterHealth, Overview, OverviewCluster } from '../overview/schemas';
import type { I18n, MessageKey } from './i18n';

export const severities = ['critical', 'warning', 'info', 'none'] as const;

export const healthLabel = (i18n: I18n, health: ClusterHealth) =>
  i18n.t(`health.${health}` as MessageKey);

/** The line under a cluster's name: nodes (unknown when disconnected), edge nodes, problems. */
export function clusterLine(i18n: I18n, cl: OverviewCluster): string {
  const { t } = i18n;
  const nodes =
    cl.status === 'connected'
      ? t('overview.ready', { ready: cl.nodes.ready, total: cl.nodes.total })
      : cl.status === 'disconnected'
        ? t('overview.nodesUnknown', {
            time: cl.lastSeen ? i18n.ago(cl.lastSeen) : t('clusters.never'),
          })
        : t('overview.noData');
  const parts = [nodes, t('overview.edgeNodes', { count: cl.nodes.edge })];
  if (cl.problems.critical) parts.push(t('overview.critical', { count: cl.problems.critical }));
  if (cl.problems.warning) parts.push(t('overview.warnings', { count: cl.problems.warning }));
  if (!cl.problems.critical && !cl.problems.warning)
    parts.push(t('clusters.alerts', { count: cl.firingAlerts }));
  return parts.join(' · ');
}

/**
 * Every number the overview shows, by key (its `data-live`), already worded
 * for the language. The live script refetches the page and copies each
 * `data-live` part over, so every figure moves, worded by the server.
 */
export function overviewFigures(i18n: I18n, overview: Overview): Record<string, string> {
  const { t } = i18n;
  const { totals, alerts } = overview;
  const figures: Record<string, string> = {
    'clusters.connected': i18n.number(totals.clusters.connected),
    'clusters.total': i18n.number(totals.clusters.total),
    'clusters.detail': t('overview.clusterCounts', {
      disconnected: totals.clusters.disconnected,
      pending: totals.clusters.pending,
    }),
    'nodes.total': i18n.number(totals.nodes.total),
    'nodes.detail': `${t('overview.ready', { ready: totals.nodes.ready, total: totals.nodes.total })} · ${t('overview.edgeNodes', { count: totals.nodes.edge })}`,
    'firing.total': i18n.number(alerts.firing),
    suppressed: t('overview.suppressed', { count: alerts.suppressed }),
    attention: i18n.number(overview.attention.length),
    updated: t('overview.updated', { time: i18n.dateTime(overview.generatedAt) }),
  };
  for (const s of [...severities, ...Object.keys(alerts.bySeverity)])
    figures[`firing.${s}`] = i18n.number(alerts.bySeverity[s] ?? 0);
  for (const cl of overview.clusters) figures[`cluster.${cl.name}`] = clusterLine(i18n, cl);
  return figures;
}
