import type { Context } from 'hono';
import type { NodeFiguresRead } from '../monitoring/node-metrics';
import { callApi } from './api-client';
import type { I18n } from './i18n';
import { NodeUsageTable } from './monitoring-nodes';
import { clusterUiPlace, namespaceUiPlace, placeHref } from './monitoring-place';
import type { ApiFetch, UiEnv } from './ui-env';

export interface ClusterMonitoring {
  nodes: NodeFiguresRead | undefined;
  clusterDashboards: boolean;
  namespaces: { workspace: string; name: string }[];
}

const enc = encodeURIComponent;

/**
 * What the cluster page shows of monitoring, each part only when the API
 * lets the user see it: node usage as this edge last read it (those who
 * may list nodes; never a round trip, so the page never waits on the
 * cluster; the node usage page reads it live), the
 * cluster's dashboards (cluster monitoring readers), and the dashboards of
 * the namespaces the page already lists for them.
 */
export async function loadClusterMonitoring(
  c: Context<UiEnv>,
  api: ApiFetch,
  cluster: string,
  namespaces: { name: string; workspace?: string | undefined }[],
): Promise<ClusterMonitoring> {
  const base = `/api/v1/clusters/${enc(cluster)}`;
  const [nodes, dashboards] = await Promise.all([
    callApi<NodeFiguresRead>(c, api, `${base}/nodes/metrics?limit=200&from=cache`),
    callApi(c, api, `${base}/monitoring/dashboards`),
  ]);
  return {
    nodes: nodes.ok ? nodes.body : undefined,
    clusterDashboards: dashboards.ok,
    namespaces: namespaces.flatMap((ns) =>
      ns.workspace ? [{ workspace: ns.workspace, name: ns.name }] : [],
    ),
  };
}

export function ClusterMonitoringSection(props: {
  i18n: I18n;
  cluster: string;
  monitoring: ClusterMonitoring;
}) {
  const { i18n, cluster, monitoring } = props;
  const { t } = i18n;
  if (!monitoring.nodes && !monitoring.clusterDashboards && monitoring.namespaces.length === 0)
    return null;
  return (
    <section class="card" aria-labelledby="monitoring" id="monitoring">
      <h2 id="monitoring">{t('monitoring.title')}</h2>
      {monitoring.clusterDashboards ? (
        <p>
          <a href={clusterUiPlace(cluster).ui}>{t('monitoring.clusterDashboards')}</a>
        </p>
      ) : null}
      {monitoring.namespaces.length ? (
        <p>
          {t('monitoring.namespaceDashboards')}{' '}
          {monitoring.namespaces.map((ns, i) => {
            const place = namespaceUiPlace(ns.workspace, ns.name, cluster);
            return (
              <>
                {i ? ' · ' : ''}
                <a href={placeHref(place, place.ui)}>{ns.name}</a>
              </>
            );
          })}
        </p>
      ) : null}
      {monitoring.nodes ? (
        <>
          <h3>{t('nodes.usage')}</h3>
          <p>
            <a href={`/ui/clusters/${enc(cluster)}/nodes`}>{t('nodes.liveUsage')}</a>
            {monitoring.nodes.collectedAt ? (
              <span class="muted small">
                {' '}
                · {t('nodes.asOf', { time: i18n.dateTime(monitoring.nodes.collectedAt) })}
              </span>
            ) : null}
          </p>
          {monitoring.nodes.collectedAt ? (
            <NodeUsageTable
              i18n={i18n}
              cluster={cluster}
              items={monitoring.nodes.items}
              live={true}
              collectedAt={monitoring.nodes.collectedAt}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}
