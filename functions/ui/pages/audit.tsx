import type { I18n, MessageKey } from '../i18n';

export interface AuditItem {
  time: string;
  user: string | null;
  verb: string;
  resource: string;
  name: string | null;
  workspace?: string;
  cluster?: string;
  outcome: string;
  status: number;
}

const knownVerbs = ['create', 'update', 'patch', 'delete', 'login', 'logout', 'get', 'list'];
const knownOutcomes = ['success', 'denied', 'failure'];

/** "Created channel alpha-hook": the verb in the user's language, the resource as the API names it. */
export function auditAction(i18n: I18n, e: AuditItem): string {
  const verb = knownVerbs.includes(e.verb) ? i18n.t(`verb.${e.verb}` as MessageKey) : e.verb;
  return i18n.t('audit.actionLine', { verb, resource: e.resource, name: e.name ?? '' }).trim();
}

/** Filters (a GET form), the events newest first, and a labelled link to older ones. */
export function AuditBody({
  i18n,
  events,
  nextCursor,
  filters,
  firstPage,
}: {
  i18n: I18n;
  events: AuditItem[];
  nextCursor?: string | undefined;
  filters: Record<string, string>;
  firstPage: boolean;
}) {
  const { t } = i18n;
  const keep = new URLSearchParams(filters);
  return (
    <>
      <form method="get" action="/ui/audit" class="card inline filters">
        <div>
          <label for="a-user">{t('audit.user')}</label>
          <input id="a-user" name="user" maxlength={63} value={filters.user ?? ''} />
        </div>
        <div>
          <label for="a-verb">{t('audit.verb')}</label>
          <select id="a-verb" name="verb">
            <option value="">{t('filter.all')}</option>
            {knownVerbs.map((v) => (
              <option value={v} selected={v === filters.verb}>
                {t(`verb.${v}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="a-resource">{t('audit.resource')}</label>
          <input id="a-resource" name="resource" maxlength={63} value={filters.resource ?? ''} />
        </div>
        <div>
          <label for="a-outcome">{t('audit.outcome')}</label>
          <select id="a-outcome" name="outcome">
            <option value="">{t('filter.all')}</option>
            {knownOutcomes.map((o) => (
              <option value={o} selected={o === filters.outcome}>
                {t(`outcome.${o}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t('filter.apply')}</button>
      </form>
      {events.length === 0 ? (
        <p class="muted">{t('cluster.none')}</p>
      ) : (
        <div class="table-wrap card">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('audit.time')}</th>
                <th scope="col">{t('audit.user')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.outcome')}</th>
              </tr>
            </thead>
            <tbody>
              {events.map((e) => (
                <tr>
                  <td>{i18n.dateTime(e.time)}</td>
                  <td>{e.user ?? '–'}</td>
                  <td>
                    {auditAction(i18n, e)}
                    {e.workspace ? <div class="muted">{e.workspace}</div> : null}
                  </td>
                  <td class={e.outcome === 'success' ? 's-connected' : 's-disconnected'}>
                    {knownOutcomes.includes(e.outcome)
                      ? t(`outcome.${e.outcome}` as MessageKey)
                      : e.outcome}{' '}
                    ({e.status})
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="paging" aria-label={t('audit.title')}>
        {firstPage ? null : <a href={`/ui/audit?${keep}`}>{t('paging.newest')}</a>}
        {nextCursor ? (
          <a
            href={`/ui/audit?${keep}${keep.size ? '&' : ''}cursor=${encodeURIComponent(nextCursor)}`}
          >
            {t('paging.older')}
          </a>
        ) : null}
      </nav>
    </>
  );
}
