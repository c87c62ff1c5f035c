import type { Overview } from '../../overview/schemas';
import type { I18n, MessageKey } from '../i18n';

const severities = ['critical', 'warning', 'info', 'none'] as const;

export const StatusBadge = ({
  i18n,
  name,
  status,
}: {
  i18n: I18n;
  name: string;
  status: string;
}) => (
  <span class={`badge s-${status}`} data-live-cluster={name}>
    {i18n.t(`status.${status}` as MessageKey)}
  </span>
);

/** The first screen: four summary cards, then every visible cluster with its status. */
export function OverviewBody({ i18n, overview }: { i18n: I18n; overview: Overview }) {
  const { t } = i18n;
  const { totals, alerts, spend } = overview;
  const otherSeverities = Object.keys(alerts.bySeverity).filter(
    (s) => !(severities as readonly string[]).includes(s),
  );
  return (
    <>
      <section class="grid" aria-label={t('overview.title')}>
        <div class="card">
          <h2>{t('overview.clusters')}</h2>
          <p class="big">
            {i18n.number(totals.clusters.connected)}
            <span class="muted"> / {i18n.number(totals.clusters.total)}</span>
          </p>
          <p class="muted">
            {t('status.connected')} / {t('overview.clusters')} · {t('status.disconnected')}{' '}
            {i18n.number(totals.clusters.disconnected)} · {t('status.pending')}{' '}
            {i18n.number(totals.clusters.pending)}
          </p>
        </div>
        <div class="card">
          <h2>{t('overview.nodes')}</h2>
          <p class="big">{i18n.number(totals.nodes.total)}</p>
          <p class="muted">
            {t('overview.ready', { ready: totals.nodes.ready, total: totals.nodes.total })} ·{' '}
            {t('overview.edgeNodes', { count: totals.nodes.edge })}
          </p>
        </div>
        <div class="card">
          <h2>
            <a href="/ui/alerts">{t('overview.firing')}</a>
          </h2>
          <p class="big" data-live-firing="total">
            {i18n.number(alerts.firing)}
          </p>
          <ul class="list">
            {[...severities, ...otherSeverities].map((s) => (
              <li class="row">
                <span class={`sev-${s}`}>
                  {(severities as readonly string[]).includes(s)
                    ? t(`severity.${s}` as MessageKey)
                    : s}
                </span>
                <strong data-live-firing={s}>{i18n.number(alerts.bySeverity[s] ?? 0)}</strong>
              </li>
            ))}
          </ul>
          <p class="muted">{t('overview.suppressed', { count: alerts.suppressed })}</p>
        </div>
        <div class="card">
          <h2>{t('overview.spend')}</h2>
          {spend ? (
            <>
              <p class="big">{i18n.money(spend.amount, spend.currency)}</p>
              <p class="muted">{t('overview.spendWorkspaces', { count: spend.workspaces })}</p>
            </>
          ) : (
            <p class="muted">{t('overview.noSpend')}</p>
          )}
        </div>
      </section>
      <h2>{t('overview.clusters')}</h2>
      {overview.clusters.length === 0 ? (
        <p class="muted">{t('overview.noClusters')}</p>
      ) : (
        <ul class="list card">
          {overview.clusters.map((cl) => (
            <li>
              <div class="row">
                <a href={`/ui/clusters/${cl.name}`}>{cl.name}</a>
                <StatusBadge i18n={i18n} name={cl.name} status={cl.status} />
              </div>
              <div class="muted">
                {t('overview.ready', { ready: cl.nodes.ready, total: cl.nodes.total })} ·{' '}
                {t('overview.edgeNodes', { count: cl.nodes.edge })} ·{' '}
                {t('clusters.alerts', { count: cl.firingAlerts })}
              </div>
            </li>
          ))}
        </ul>
      )}
      <p class="muted">{t('overview.updated', { time: i18n.dateTime(overview.generatedAt) })}</p>
    </>
  );
}
