import type { AlertView } from '../alerting/alert-groups';
import type { AttentionItem, ClusterHealth, OverviewCluster } from './schemas';

/**
 * Alerts that fire on purpose all the time (Prometheus' Watchdog, the
 * dead man's switch, kube-prometheus' InfoInhibitor): proof the pipeline
 * works, never a problem to triage.
 */
const alwaysFiring = new Set(['Watchdog', 'DeadMansSwitch', 'InfoInhibitor']);

/** Whether a live alert is a problem someone should look at (firing, not silenced, not a heartbeat). */
export const isProblem = (alert: AlertView) =>
  alert.state === 'active' &&
  !alwaysFiring.has(alert.labels.alertname ?? '') &&
  (alert.labels.severity === 'critical' || alert.labels.severity === 'warning');

/** The labels that say where a problem is, in the order people read them. */
const whereLabels = ['cluster', 'node', 'namespace', 'pod'] as const;

const pick = (labels: Record<string, string>) =>
  Object.fromEntries(whereLabels.flatMap((k) => (labels[k] ? [[k, labels[k]]] : [])));

/** Only http(s) links are passed on: an annotation is text from the alert's sender. */
const link = (value: string | undefined) =>
  value && /^https?:\/\//i.test(value) ? value : undefined;

/**
 * Order of the list: disconnected clusters, then clusters with nodes not
 * ready, then halted app rollouts, then critical, then warning alerts; within each, the oldest problem
 * first (what has been broken longest). Items without a start time go last.
 */
const rank: Record<AttentionItem['kind'], (i: AttentionItem) => number> = {
  'cluster-disconnected': () => 0,
  'nodes-not-ready': () => 1,
  'app-halted': () => 2,
  alert: (i) => (i.severity === 'critical' ? 3 : 4),
};

export function orderAttention(items: AttentionItem[]): AttentionItem[] {
  const since = (i: AttentionItem) => (i.since ? Date.parse(i.since) : Number.POSITIVE_INFINITY);
  return [...items].sort(
    (a, b) =>
      rank[a.kind](a) - rank[b.kind](b) || since(a) - since(b) || a.title.localeCompare(b.title),
  );
}

/** The edge's built-in node rules (alerting/node-rules.ts): one alert per node not ready. */
const nodeAlertNames = new Set(['NodeNotReady', 'EdgeNodeOffline']);

/** Node names shown on a cluster's "nodes not ready" line before "+N". */
const NODES_NAMED = 3;

/**
 * Since when a cluster's nodes are not ready, and which: from its node
 * alerts (silenced ones too: they still know when it started), oldest
 * first. Before the rule's threshold fires there is none: since unknown.
 */
function notReadyNodes(cluster: string, alerts: AlertView[]) {
  const nodes = alerts
    .filter((a) => a.labels.cluster === cluster && nodeAlertNames.has(a.labels.alertname ?? ''))
    .sort((a, b) => a.startsAt - b.startsAt);
  const first = nodes[0];
  const names = nodes.map((a) => a.labels.node ?? '').filter(Boolean);
  const named = names.slice(0, NODES_NAMED).join(', ');
  return {
    since: first ? new Date(first.startsAt).toISOString() : null,
    node: names.length > NODES_NAMED ? `${named} +${names.length - NODES_NAMED}` : named,
  };
}

/** What needs attention across the visible clusters and their problem alerts, ordered for triage. */
export function needsAttention(
  clusters: OverviewCluster[],
  alerts: AlertView[],
  extra: AttentionItem[] = [],
): AttentionItem[] {
  const items: AttentionItem[] = [...extra];
  for (const cl of clusters) {
    if (cl.status === 'disconnected')
      items.push({
        kind: 'cluster-disconnected',
        severity: 'critical',
        title: cl.name,
        since: cl.lastSeen,
        labels: { cluster: cl.name },
        count: 1,
      });
    else if (cl.status === 'connected' && cl.nodes.ready < cl.nodes.total) {
      const { since, node } = notReadyNodes(cl.name, alerts);
      items.push({
        kind: 'nodes-not-ready',
        severity: 'critical',
        title: cl.name,
        since,
        labels: node ? { cluster: cl.name, node } : { cluster: cl.name },
        count: cl.nodes.total - cl.nodes.ready,
      });
    }
  }
  for (const alert of alerts) {
    if (!isProblem(alert)) continue;
    items.push({
      kind: 'alert',
      severity: alert.labels.severity === 'critical' ? 'critical' : 'warning',
      title: alert.labels.alertname ?? alert.fingerprint,
      since: new Date(alert.startsAt).toISOString(),
      labels: pick(alert.labels),
      count: 1,
      fingerprint: alert.fingerprint,
      summary: alert.annotations.summary,
      description: alert.annotations.description,
      runbookUrl: link(alert.annotations.runbook_url ?? alert.annotations.runbook),
      sourceUrl: link(alert.generatorURL),
    });
  }
  return orderAttention(items);
}

/**
 * One word for a cluster's state, rolled up from its connection, its nodes
 * and its problem alerts: a connected cluster with critical alerts or a
 * node down is "critical", not green. A disconnected cluster's nodes are
 * unknown, so its health is "disconnected" whatever they last said.
 */
export function clusterHealth(
  cluster: Pick<OverviewCluster, 'status' | 'nodes'>,
  problems: { critical: number; warning: number },
): ClusterHealth {
  if (cluster.status !== 'connected') return cluster.status;
  if (problems.critical > 0 || cluster.nodes.ready < cluster.nodes.total) return 'critical';
  if (problems.warning > 0) return 'warning';
  return 'healthy';
}
