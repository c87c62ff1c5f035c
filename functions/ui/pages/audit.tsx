import type { I18n } from '../i18n';

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

/** Audit events, newest first, with a link to the next page. */
export function AuditBody({
  i18n,
  events,
  nextCursor,
}: {
  i18n: I18n;
  events: AuditItem[];
  nextCursor?: string | undefined;
}) {
  const { t } = i18n;
  return (
    <>
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
                  {e.verb} {e.resource}
                  {e.name ? ` ${e.name}` : ''}
                  {e.workspace ? <div class="muted">{e.workspace}</div> : null}
                </td>
                <td class={e.outcome === 'success' ? 's-connected' : 's-disconnected'}>
                  {e.outcome} ({e.status})
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {nextCursor ? (
        <p>
          <a href={`/ui/audit?cursor=${encodeURIComponent(nextCursor)}`}>→</a>
        </p>
      ) : null}
    </>
  );
}
