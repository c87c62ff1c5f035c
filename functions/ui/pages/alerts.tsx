import type { z } from 'zod';
import type { AlertView } from '../../alerting/alert-groups';
import type { channelView, historyItem, receiverView } from '../../notify/schemas';
import type { FormProblem } from '../forms/form-problem';
import type { I18n, MessageKey } from '../i18n';
import { Csrf } from '../layout';
import { FormProblemNote, firstInvalid, invalidMark, problemOf } from './form-problem';
import { ChannelForm, DeleteButton, ReceiverForm } from './notify-forms';
import { PageNav, PER_PAGE, pageOf } from './paging';
import { type ResolvedItem, ResolvedSection } from './resolved-alerts';

export type ChannelItem = z.infer<typeof channelView>;
export type ReceiverItem = z.infer<typeof receiverView>;
export type DeliveryItem = z.infer<typeof historyItem>;

export interface SilenceItem {
  id: string;
  status: { state: string };
  matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

/** Silence durations offered from an alert (the API takes any end time). */
export const silenceDurations = {
  '1h': 3600,
  '4h': 4 * 3600,
  '1d': 86_400,
  '7d': 7 * 86_400,
} as const;

const severityClass = (a: AlertView) => `sev-${a.labels.severity || 'none'}`;
const knownSeverity = (s: string | undefined) =>
  s === 'critical' || s === 'warning' || s === 'info' ? s : 'none';

/** Alerts with their labels and, for firing ones, a silence form (duration + comment). */
export function AlertList({
  i18n,
  csrf,
  alerts,
  silenceable,
  problem,
}: {
  i18n: I18n;
  csrf: string;
  alerts: AlertView[];
  /** Fingerprints the user may silence: no form for the others (it would only be refused). */
  silenceable: Set<string>;
  /** A refused silence form: shown open on its alert, with the problem and what was typed. */
  problem?: FormProblem | undefined;
}) {
  const { t } = i18n;
  const refused = problemOf(problem, 'silence');
  return (
    <ul class="list">
      {alerts.map((a) => {
        const name = a.labels.alertname ?? a.fingerprint;
        const where = [a.labels.cluster, a.labels.namespace].filter(Boolean).join(' / ');
        return (
          <li>
            <div class="row">
              <strong>{name}</strong>
              <span class={`badge ${severityClass(a)}`}>
                {t(`severity.${knownSeverity(a.labels.severity)}` as MessageKey)}
              </span>
            </div>
            <div class="muted">
              {where ? `${where} · ` : ''}
              {t('alerts.since', { time: i18n.dateTime(a.startsAt) })}
            </div>
            {a.annotations.summary ? <div>{a.annotations.summary}</div> : null}
            {a.state === 'active' && silenceable.has(a.fingerprint) ? (
              <SilenceForm
                i18n={i18n}
                csrf={csrf}
                alert={a}
                problem={refused?.values.fingerprint === a.fingerprint ? refused : undefined}
              />
            ) : null}
          </li>
        );
      })}
    </ul>
  );
}

/** Silence one alert (its exact labels) for a chosen time; a refusal comes back open, here. */
function SilenceForm({
  i18n,
  csrf,
  alert: a,
  problem,
}: {
  i18n: I18n;
  csrf: string;
  alert: AlertView;
  problem: FormProblem | undefined;
}) {
  const { t } = i18n;
  const typed = problem?.values ?? {};
  return (
    <details open={problem ? true : undefined}>
      <summary>{t('alerts.silence')}</summary>
      {problem ? <FormProblemNote i18n={i18n} problem={problem} /> : null}
      <form method="post" action="/ui/alerts/silence">
        <Csrf token={csrf} />
        <input type="hidden" name="fingerprint" value={a.fingerprint} />
        <input type="hidden" name="cluster" value={a.labels.cluster ?? ''} />
        <div class="inline">
          <div>
            <label for={`d-${a.fingerprint}`}>{t('alerts.duration')}</label>
            <select
              id={`d-${a.fingerprint}`}
              name="duration"
              autofocus={firstInvalid(problem, 'silence', 'duration')}
            >
              {Object.keys(silenceDurations).map((d) => (
                <option value={d} selected={typed.duration === d ? true : undefined}>
                  {t(`duration.${d}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for={`c-${a.fingerprint}`}>{t('alerts.comment')}</label>
            <input
              id={`c-${a.fingerprint}`}
              name="comment"
              required
              maxlength={1024}
              value={typed.comment}
              aria-invalid={invalidMark(problem, 'silence', 'comment')}
              autofocus={firstInvalid(problem, 'silence', 'comment')}
            />
          </div>
          <button type="submit">{t('alerts.silenceSubmit')}</button>
        </div>
      </form>
    </details>
  );
}

/** What the user may do on the alerts page, decided with the same can() the API uses. */
export interface AlertsRights {
  silenceable: Set<string>;
  /** Silence ids the user may expire. */
  expirable: Set<string>;
  createChannels: boolean;
  createReceivers: boolean;
  /** Channel ids the user may test (update) and delete. */
  testChannels: Set<string>;
  deleteChannels: Set<string>;
  deleteReceivers: Set<string>;
}

/** The lists' filter and pages (alerts and silences grow with the fleet). */
export interface AlertFilter {
  severity: 'all' | 'critical' | 'warning' | 'info' | 'none';
  cluster: string;
  /** Firing alerts' page. */
  page: number;
  /** Silenced alerts' page. */
  spage: number;
  /** Silences' page. */
  xpage: number;
  /** Silences' state filter. */
  xstate: SilenceStateFilter;
}

export const silenceStateFilters = ['all', 'active', 'pending', 'expired'] as const;
export type SilenceStateFilter = (typeof silenceStateFilters)[number];

type PagedList = 'page' | 'spage' | 'xpage';

/**
 * The page's query for `filter` with `changes` applied, defaults left out
 * except the page of `paged` (a "previous" link to page 1 says so).
 */
function alertsHref(
  filter: AlertFilter,
  changes: Partial<AlertFilter>,
  anchor: string,
  paged?: PagedList,
) {
  const f = { ...filter, ...changes };
  const q = new URLSearchParams();
  if (f.severity !== 'all') q.set('severity', f.severity);
  if (f.cluster) q.set('cluster', f.cluster);
  for (const key of ['page', 'spage', 'xpage'] as const)
    if (key === paged || f[key] > 1) q.set(key, String(f[key]));
  if (f.xstate !== 'all') q.set('xstate', f.xstate);
  const query = q.toString();
  return `/ui/alerts${query ? `?${query}` : ''}#${anchor}`;
}

/** All / active / scheduled / expired: links (no script), the silences' page starting over. */
function SilenceStateLinks({ i18n, filter }: { i18n: I18n; filter: AlertFilter }) {
  const { t } = i18n;
  return (
    <nav class="paging" aria-label={`${t('alerts.silences')}: ${t('common.status')}`}>
      {silenceStateFilters.map((state) => (
        <a
          href={alertsHref(filter, { xstate: state, xpage: 1 }, 'silences')}
          aria-current={filter.xstate === state ? 'true' : undefined}
        >
          {state === 'all' ? t('filter.all') : t(`silence.${state}`)}
        </a>
      ))}
    </nav>
  );
}

const matchesFilter = (a: AlertView, f: AlertFilter) =>
  (f.severity === 'all' || knownSeverity(a.labels.severity) === f.severity) &&
  (!f.cluster || a.labels.cluster === f.cluster);

/** Severity and cluster selects (a GET form: works without a script) and page links. */
function AlertFilterForm({
  i18n,
  filter,
  clusters,
}: {
  i18n: I18n;
  filter: AlertFilter;
  clusters: string[];
}) {
  const { t } = i18n;
  return (
    <form method="get" action="/ui/alerts" class="inline filters">
      <div>
        <label for="f-severity">{t('filter.severity')}</label>
        <select id="f-severity" name="severity">
          {(['all', 'critical', 'warning', 'info', 'none'] as const).map((s) => (
            <option value={s} selected={s === filter.severity}>
              {s === 'all' ? t('filter.all') : t(`severity.${s}` as MessageKey)}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="f-cluster">{t('filter.cluster')}</label>
        <select id="f-cluster" name="cluster">
          <option value="">{t('filter.all')}</option>
          {clusters.map((cl) => (
            <option value={cl} selected={cl === filter.cluster}>
              {cl}
            </option>
          ))}
        </select>
      </div>
      <button type="submit">{t('filter.apply')}</button>
    </form>
  );
}

/** Page links of one of the page's lists, keeping the filter and the other lists' pages. */
function PageLinks({
  i18n,
  filter,
  list,
  anchor,
  label,
  total,
}: {
  i18n: I18n;
  filter: AlertFilter;
  list: PagedList;
  anchor: string;
  label: string;
  total: number;
}) {
  const href = (page: number) => alertsHref(filter, { [list]: page }, anchor, list);
  return <PageNav i18n={i18n} label={label} page={filter[list]} total={total} href={href} />;
}

export interface AlertsPageProps {
  i18n: I18n;
  csrf: string;
  alerts: AlertView[];
  rights: AlertsRights;
  filter: AlertFilter;
  /** Cluster names for the filter. */
  clusters: string[];
  /** Recently resolved (undefined: the caller may not list them). */
  resolved: ResolvedItem[] | undefined;
  silences: SilenceItem[];
  channels: ChannelItem[] | undefined;
  receivers: ReceiverItem[] | undefined;
  history: DeliveryItem[] | undefined;
  notice?: string | undefined;
  error?: string | undefined;
  /** A channel or receiver form that was not saved, shown next to it. */
  problem?: FormProblem | undefined;
}

/** Firing and silenced alerts, silences, channels (with a test button), receivers and deliveries. */
export function AlertsBody(props: AlertsPageProps) {
  const { i18n, csrf } = props;
  const { t } = i18n;
  const { rights, filter } = props;
  const shown = props.alerts.filter((a) => matchesFilter(a, filter));
  const firing = shown.filter((a) => a.state === 'active');
  const suppressed = shown.filter((a) => a.state !== 'active');
  // A refused silence form comes back on the page of its alert, wherever the list was.
  const refusedAt = firing.findIndex(
    (a) => a.fingerprint === problemOf(props.problem, 'silence')?.values.fingerprint,
  );
  const firingPage = refusedAt >= 0 ? Math.floor(refusedAt / PER_PAGE) + 1 : filter.page;
  const silences = props.silences.filter(
    (s) => filter.xstate === 'all' || s.status.state === filter.xstate,
  );
  return (
    <>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.error ? (
        <p class="notice error" role="alert">
          {props.error}
        </p>
      ) : null}
      <section class="card" aria-labelledby="firing">
        <h2 id="firing">
          {t('alerts.firing')} (<span data-live="alerts.firing">{i18n.number(firing.length)}</span>)
        </h2>
        <AlertFilterForm i18n={i18n} filter={filter} clusters={props.clusters} />
        {firing.length ? (
          <>
            <AlertList
              i18n={i18n}
              csrf={csrf}
              alerts={pageOf(firing, firingPage)}
              silenceable={rights.silenceable}
              problem={props.problem}
            />
            <PageLinks
              i18n={i18n}
              filter={{ ...filter, page: firingPage }}
              list="page"
              anchor="firing"
              label={t('alerts.firing')}
              total={firing.length}
            />
          </>
        ) : (
          <p class="muted">{t('alerts.none')}</p>
        )}
      </section>
      <section class="card" aria-labelledby="suppressed">
        <h2 id="suppressed">
          {t('alerts.suppressed')} (
          <span data-live="alerts.silenced">{i18n.number(suppressed.length)}</span>)
        </h2>
        {suppressed.length ? (
          <>
            <AlertList
              i18n={i18n}
              csrf={csrf}
              alerts={pageOf(suppressed, filter.spage)}
              silenceable={rights.silenceable}
            />
            <PageLinks
              i18n={i18n}
              filter={filter}
              list="spage"
              anchor="suppressed"
              label={t('alerts.suppressed')}
              total={suppressed.length}
            />
          </>
        ) : (
          <p class="muted">{t('alerts.none')}</p>
        )}
      </section>
      {props.resolved ? <ResolvedSection i18n={i18n} items={props.resolved} /> : null}
      <section class="card" aria-labelledby="silences">
        <h2 id="silences">{t('alerts.silences')}</h2>
        <SilenceStateLinks i18n={i18n} filter={filter} />
        {silences.length === 0 ? (
          <p class="muted">{t('cluster.none')}</p>
        ) : (
          <ul class="list">
            {pageOf(silences, filter.xpage).map((s) => (
              <li>
                <div class="row">
                  <code>
                    {s.matchers
                      .map(
                        (m) =>
                          `${m.name}${m.isEqual === false ? '!' : ''}${m.isRegex ? '=~' : '='}${m.value}`,
                      )
                      .join(', ')}
                  </code>
                  <span class="badge">{t(`silence.${s.status.state}` as MessageKey)}</span>
                </div>
                <div class="muted">
                  {t('alerts.until', { time: i18n.dateTime(s.endsAt) })} ·{' '}
                  {t('alerts.by', { user: s.createdBy })} · {s.comment}
                </div>
                {s.status.state !== 'expired' && rights.expirable.has(s.id) ? (
                  <form method="post" action="/ui/alerts/silences/expire">
                    <Csrf token={csrf} />
                    <input type="hidden" name="id" value={s.id} />
                    <button type="submit" class="quiet">
                      {t('alerts.expire')}
                    </button>
                  </form>
                ) : null}
              </li>
            ))}
          </ul>
        )}
        <PageLinks
          i18n={i18n}
          filter={filter}
          list="xpage"
          anchor="silences"
          label={t('alerts.silences')}
          total={silences.length}
        />
      </section>
      {props.channels ? (
        <section class="card" aria-labelledby="channels">
          <h2 id="channels">{t('alerts.channels')}</h2>
          {props.channels.length === 0 ? (
            <p class="muted">{t('cluster.none')}</p>
          ) : (
            <ul class="list">
              {props.channels.map((ch) => (
                <li class="row">
                  <span>
                    <strong>{ch.name}</strong>{' '}
                    <span class="muted">{t(`channelType.${ch.type}` as MessageKey)}</span>
                  </span>
                  <span class="actions">
                    {rights.testChannels.has(ch.id) ? (
                      <form method="post" action="/ui/alerts/channels/test">
                        <Csrf token={csrf} />
                        <input type="hidden" name="id" value={ch.id} />
                        <input type="hidden" name="name" value={ch.name} />
                        <button type="submit" class="quiet">
                          {t('alerts.test')}
                        </button>
                      </form>
                    ) : null}
                    {rights.deleteChannels.has(ch.id) ? (
                      <DeleteButton i18n={i18n} kind="channels" id={ch.id} name={ch.name} />
                    ) : null}
                  </span>
                </li>
              ))}
            </ul>
          )}
          {rights.createChannels ? (
            <ChannelForm i18n={i18n} csrf={csrf} problem={problemOf(props.problem, 'channel')} />
          ) : null}
        </section>
      ) : null}
      {props.receivers ? (
        <section class="card" aria-labelledby="receivers">
          <h2 id="receivers">{t('alerts.receivers')}</h2>
          {props.receivers.length === 0 ? (
            <p class="muted">{t('cluster.none')}</p>
          ) : (
            <ul class="list">
              {props.receivers.map((r) => (
                <li>
                  <div class="row">
                    <span>
                      <strong>{r.name}</strong> → {r.channels.join(', ')}
                    </span>
                    {rights.deleteReceivers.has(r.id) ? (
                      <DeleteButton i18n={i18n} kind="receivers" id={r.id} name={r.name} />
                    ) : null}
                  </div>
                  <div class="muted">
                    {r.matchers.map((m) => `${m.name}${m.op}${m.value}`).join(', ') || '*'}
                  </div>
                </li>
              ))}
            </ul>
          )}
          {rights.createReceivers ? (
            <ReceiverForm
              i18n={i18n}
              csrf={csrf}
              problem={problemOf(props.problem, 'receiver')}
              channels={(props.channels ?? []).map((ch) => ch.name)}
            />
          ) : null}
        </section>
      ) : null}
      {props.history ? (
        <section class="card" aria-labelledby="history">
          <h2 id="history">{t('alerts.history')}</h2>
          {props.history.length === 0 ? (
            <p class="muted">{t('cluster.none')}</p>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t('common.time')}</th>
                    <th scope="col">{t('alerts.receivers')}</th>
                    <th scope="col">{t('common.status')}</th>
                  </tr>
                </thead>
                <tbody>
                  {props.history.map((d) => (
                    <tr>
                      <td>{i18n.dateTime(d.time)}</td>
                      <td>
                        {d.receiver} → {d.channel}
                      </td>
                      <td>
                        <span class={`delivery-${d.status}`}>
                          {t(`delivery.${d.status}` as MessageKey)}
                        </span>
                        {d.error ? <div class="muted">{d.error}</div> : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      ) : null}
    </>
  );
}
