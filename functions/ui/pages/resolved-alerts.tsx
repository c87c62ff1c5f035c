import type { I18n } from '../i18n';

/** What GET /api/v1/alerts/resolved answers per alert (the fields the page shows). */
export interface ResolvedItem {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/** Recently resolved alerts with when each started and ended (kept by the edge for a bounded time). */
export function ResolvedSection({ i18n, items }: { i18n: I18n; items: ResolvedItem[] }) {
  const { t } = i18n;
  return (
    <section class="card" aria-labelledby="resolved">
      <h2 id="resolved">
        {t('alerts.resolved')} ({i18n.number(items.length)})
      </h2>
      {items.length === 0 ? (
        <p class="muted">{t('alerts.none')}</p>
      ) : (
        <ul class="list">
          {items.map((a) => {
            const where = [a.labels.cluster, a.labels.namespace].filter(Boolean).join(' / ');
            return (
              <li data-resolved={a.fingerprint}>
                <div class="row">
                  <strong>{a.labels.alertname ?? a.fingerprint}</strong>
                  <span class="badge">{t('alerts.resolvedBadge')}</span>
                </div>
                <div class="muted">
                  {where ? `${where} · ` : ''}
                  {t('alerts.startedEnded', {
                    start: i18n.dateTime(a.startsAt),
                    end: i18n.dateTime(a.endsAt),
                  })}
                </div>
                {a.annotations.summary ? <div>{a.annotations.summary}</div> : null}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
