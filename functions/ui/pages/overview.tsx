import type { ClusterHealth, Overview } from '../../overview/schemas';
import type { I18n, MessageKey } from '../i18n';
import { healthLabel, overviewFigures, severities } from '../live-figures';
import { AttentionList } from './attention';

/**
 * A cluster's rolled-up state; the live script updates it in place
 * (`data-live`) and reads a change out (`data-live-cluster` names it).
 */
export const StatusBadge = ({
  i18n,
  name,
  health,
}: {
  i18n: I18n;
  name: string;
  health: ClusterHealth;
}) => (
  <span class={`badge h-${health}`} data-live={`badge.${name}`} data-live-cluster={name}>
    {healthLabel(i18n, health)}
  </span>
);

/** A figure the live script keeps current (`data-live` names its key in overviewFigures). */
const Live = ({
  figures,
  k,
  tag = 'span',
}: {
  figures: Record<string, string>;
  k: string;
  tag?: 'span' | 'strong';
}) =>
  tag === 'strong' ? (
    <strong data-live={k}>{figures[k]}</strong>
  ) : (
    <span data-live={k}>{figures[k]}</span>
  );

/** The first screen: needs attention first, then the summary cards and every visible cluster. */
export function OverviewBody({ i18n, overview }: { i18n: I18n; overview: Overview }) {
  const { t } = i18n;
  const { alerts, spend } = overview;
  const figures = overviewFigures(i18n, overview);
  const otherSeverities = Object.keys(alerts.bySeverity).filter(
    (s) => !(severities as readonly string[]).includes(s),
  );
  return (
    <>
      <section aria-labelledby="attention">
        <h2 id="attention">
          {t('attention.title')} (<Live figures={figures} k="attention" />)
        </h2>
        <div id="attention-list" data-live="attention-list">
          <AttentionList i18n={i18n} items={overview.attention} />
        </div>
      </section>
      <section class="grid" aria-label={t('overview.summary')}>
        <div class="card">
          <h2>{t('overview.clusters')}</h2>
          <p class="big">
            <Live figures={figures} k="clusters.connected" />
            <span class="muted">
              {' / '}
              <Live figures={figures} k="clusters.total" />
            </span>
          </p>
          <p class="muted">
            {t('overview.connectedOf')} · <Live figures={figures} k="clusters.detail" />
          </p>
        </div>
        <div class="card">
          <h2>{t('overview.nodes')}</h2>
          <p class="big" data-live="nodes.total">
            {figures['nodes.total']}
          </p>
          <p class="muted" data-live="nodes.detail">
            {figures['nodes.detail']}
          </p>
        </div>
        <div class="card">
          <h2>
            <a href="/ui/alerts">{t('overview.firing')}</a>
          </h2>
          <p class="big" data-live="firing.total" data-live-firing="total">
            {figures['firing.total']}
          </p>
          <ul class="list">
            {[...severities, ...otherSeverities].map((s) => (
              <li class="row">
                <span class={`sev-${s}`}>
                  {(severities as readonly string[]).includes(s)
                    ? t(`severity.${s}` as MessageKey)
                    : s}
                </span>
                <strong data-live={`firing.${s}`} data-live-firing={s}>
                  {figures[`firing.${s}`]}
                </strong>
              </li>
            ))}
          </ul>
          <p class="muted" data-live="suppressed">
            {figures.suppressed}
          </p>
        </div>
        <div class="card">
          <h2>{t('overview.spend')}</h2>
          <div data-live="spend">
            {spend ? (
              <>
                <p class="big">{i18n.money(spend.amount, spend.currency)}</p>
                <p class="muted">{t('overview.spendWorkspaces', { count: spend.workspaces })}</p>
              </>
            ) : (
              <p class="muted">{t('overview.noSpend')}</p>
            )}
          </div>
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
                <StatusBadge i18n={i18n} name={cl.name} health={cl.health} />
              </div>
              <div class="muted" data-live={`cluster.${cl.name}`}>
                {figures[`cluster.${cl.name}`]}
              </div>
            </li>
          ))}
        </ul>
      )}
      <p class="muted" data-live="updated">
        {figures.updated}
      </p>
    </>
  );
}
