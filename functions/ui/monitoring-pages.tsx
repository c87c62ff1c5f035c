import type { PanelData } from '../monitoring/schemas';
import { panelRanges, panelUnits } from '../monitoring/schemas';
import type { I18n, MessageKey } from './i18n';
import { Csrf } from './layout';
import { monitoringAssets } from './monitoring-assets';
import { SeriesChart, seriesLabels } from './monitoring-chart';
import { placeHref, type UiPlace } from './monitoring-place';
import { formatValue } from './monitoring-units';
import { DangerLink } from './pages/confirm';

export interface DashboardItem {
  name: string;
  title: string;
  position: number;
  panels: {
    id: string;
    title: string;
    query: string;
    unit: PanelData['panel']['unit'];
    range: string;
  }[];
  mayEdit: boolean;
  updatedBy: string | null;
  updatedAt: string;
}

const enc = encodeURIComponent;
const unitKeys: Record<(typeof panelUnits)[number], MessageKey> = {
  percent: 'monitoring.unit.percent',
  bytes: 'monitoring.unit.bytes',
  'bytes/s': 'monitoring.unit.bytesPerSecond',
  cores: 'monitoring.unit.cores',
  ops: 'monitoring.unit.ops',
  seconds: 'monitoring.unit.seconds',
};

/** This area's stylesheet (the shared one is in the head already). */
export const MonitoringStyles = () => <link rel="stylesheet" href={monitoringAssets.css.path} />;

const ScopeNote = ({ i18n, place }: { i18n: I18n; place: UiPlace }) =>
  place.namespace ? (
    <p class="muted small">{i18n.t('monitoring.scopeNote', { ns: place.namespace })}</p>
  ) : null;

export function DashboardListBody(props: {
  i18n: I18n;
  place: UiPlace;
  items: DashboardItem[];
  mayCreate: boolean;
  notice?: string | undefined;
}) {
  const { i18n, place } = props;
  const { t } = i18n;
  return (
    <>
      <MonitoringStyles />
      <p>
        <a href={place.parent}>← {place.label}</a>
      </p>
      <ScopeNote i18n={i18n} place={place} />
      {props.notice ? (
        <p class="notice ok" role="status">
          {props.notice}
        </p>
      ) : null}
      <section class="card">
        {props.items.length === 0 ? (
          <p class="muted">{t('monitoring.none')}</p>
        ) : (
          <ul class="list">
            {props.items.map((d) => (
              <li>
                <a href={placeHref(place, `${place.ui}/${enc(d.name)}`)}>{d.title}</a>{' '}
                <span class="muted small">
                  {t('monitoring.panelCount', { count: d.panels.length })} ·{' '}
                  {i18n.dateTime(d.updatedAt)}
                </span>
              </li>
            ))}
          </ul>
        )}
        {props.mayCreate ? (
          <p>
            <a class="button" href={placeHref(place, `${place.ui}/_new`)}>
              {t('monitoring.new')}
            </a>
          </p>
        ) : null}
      </section>
    </>
  );
}

function PanelCard({ i18n, data }: { i18n: I18n; data: PanelData }) {
  const { t } = i18n;
  const labels = seriesLabels(data.series);
  const lines = data.series.map((s, i) => ({ label: labels[i] ?? '', points: s.points }));
  const latest = lines.map((l) => formatValue(l.points.at(-1)?.[1] ?? Number.NaN, data.panel.unit));
  return (
    <section class="card" aria-labelledby={`p-${data.panel.id}`}>
      <h2 id={`p-${data.panel.id}`}>{data.panel.title}</h2>
      {data.error ? (
        <p class="notice error">{t('monitoring.panelError', { message: data.error.message })}</p>
      ) : lines.length === 0 ? (
        <p class="muted">{t('monitoring.noData')}</p>
      ) : (
        <SeriesChart
          title={data.panel.title}
          unit={data.panel.unit}
          lines={lines}
          start={data.start}
          end={data.end}
          summaryLabel={t('monitoring.summary', { count: lines.length, values: latest.join(', ') })}
        />
      )}
      {data.omitted > 0 ? (
        <p class="muted small">{t('monitoring.omitted', { count: data.omitted })}</p>
      ) : null}
      <details>
        <summary>{t('monitoring.query')}</summary>
        <pre class="wrap">{data.panel.query}</pre>
      </details>
    </section>
  );
}

export function DashboardBody(props: {
  i18n: I18n;
  place: UiPlace;
  dashboard: DashboardItem;
  panels: PanelData[];
  range: string | undefined;
  notice?: string | undefined;
}) {
  const { i18n, place, dashboard } = props;
  const { t } = i18n;
  const base = `${place.ui}/${enc(dashboard.name)}`;
  return (
    <>
      <MonitoringStyles />
      <p>
        <a href={placeHref(place, place.ui)}>
          ← {t('monitoring.dashboardsOf', { place: place.label })}
        </a>
      </p>
      <ScopeNote i18n={i18n} place={place} />
      {props.notice ? (
        <p class="notice ok" role="status">
          {props.notice}
        </p>
      ) : null}
      <nav class="mrange" aria-label={t('monitoring.range')}>
        {[undefined, ...Object.keys(panelRanges)].map((r) => (
          <a
            href={placeHref(place, base, { range: r })}
            aria-current={r === props.range ? 'page' : undefined}
          >
            {r ?? t('monitoring.rangeOwn')}
          </a>
        ))}
      </nav>
      {dashboard.mayEdit ? (
        <p class="actions">
          <a class="button" href={placeHref(place, `${base}/edit`)}>
            {t('monitoring.edit')}
          </a>{' '}
          <DangerLink
            href={placeHref(place, `${base}/delete`)}
            label={t('monitoring.delete')}
            name={dashboard.title}
          />
        </p>
      ) : null}
      {props.panels.length === 0 ? <p class="muted">{t('monitoring.empty')}</p> : null}
      <div class="mgrid">
        {props.panels.map((data) => (
          <PanelCard i18n={i18n} data={data} />
        ))}
      </div>
    </>
  );
}

/** One panel row of the editing form, as typed (strings). */
export interface PanelRow {
  id: string;
  title: string;
  query: string;
  unit: string;
  range: string;
  order: string;
}

/** What the editing form shows: the values, and the errors by field name (`title`, `query.3`…). */
export interface EditView {
  isNew: boolean;
  name: string;
  title: string;
  position: string;
  rows: PanelRow[];
  errors: Record<string, string>;
  message?: string | undefined;
}

const FieldError = ({ id, text }: { id: string; text: string | undefined }) =>
  text ? (
    <p class="qerr" id={id}>
      {text}
    </p>
  ) : null;

export function DashboardEditBody(props: {
  i18n: I18n;
  csrf: string;
  place: UiPlace;
  view: EditView;
}) {
  const { i18n, place, view } = props;
  const { t } = i18n;
  const action = view.isNew
    ? placeHref(place, `${place.ui}/_new`)
    : placeHref(place, `${place.ui}/${enc(view.name)}/edit`);
  const cancel = view.isNew
    ? placeHref(place, place.ui)
    : placeHref(place, `${place.ui}/${enc(view.name)}`);
  const rows = [...view.rows, { id: '', title: '', query: '', unit: '', range: '', order: '' }];
  const err = (key: string) => view.errors[key];
  const described = (key: string) => (err(key) ? `e-${key.replace('.', '-')}` : undefined);
  return (
    <>
      <MonitoringStyles />
      <script src={monitoringAssets.editor.path} defer />
      <ScopeNote i18n={i18n} place={place} />
      {view.message ? (
        <p class="notice error" role="alert">
          {view.message}
        </p>
      ) : null}
      <form method="post" action={action} class="card">
        <Csrf token={props.csrf} />
        <input type="hidden" name="count" value={String(rows.length)} />
        {view.isNew ? (
          <>
            <label for="name">{t('monitoring.name')}</label>
            <input
              id="name"
              name="name"
              required
              maxlength={63}
              pattern="[a-z0-9]([-a-z0-9]*[a-z0-9])?"
              value={view.name}
              aria-invalid={err('name') ? 'true' : undefined}
              aria-describedby={described('name')}
            />
            <FieldError id="e-name" text={err('name')} />
          </>
        ) : null}
        <label for="title">{t('monitoring.dashTitle')}</label>
        <input
          id="title"
          name="title"
          required
          maxlength={120}
          value={view.title}
          aria-invalid={err('title') ? 'true' : undefined}
          aria-describedby={described('title')}
        />
        <FieldError id="e-title" text={err('title')} />
        <label for="position">{t('monitoring.position')}</label>
        <input
          id="position"
          name="position"
          type="number"
          min={0}
          max={10000}
          value={view.position}
        />
        <h2>{t('monitoring.panels')}</h2>
        {rows.map((row, i) => {
          const last = i === rows.length - 1;
          return (
            <fieldset class="panel">
              <legend>
                {last ? t('monitoring.newPanel') : t('monitoring.panel', { n: i + 1 })}
              </legend>
              <input type="hidden" name={`id.${i}`} value={row.id} />
              <label for={`title.${i}`}>{t('monitoring.panelTitle')}</label>
              <input
                id={`title.${i}`}
                name={`title.${i}`}
                maxlength={120}
                value={row.title}
                aria-invalid={err(`title.${i}`) ? 'true' : undefined}
                aria-describedby={described(`title.${i}`)}
              />
              <FieldError id={`e-title-${i}`} text={err(`title.${i}`)} />
              <label for={`query.${i}`}>{t('monitoring.query')}</label>
              <textarea
                id={`query.${i}`}
                name={`query.${i}`}
                class="query"
                rows={3}
                maxlength={4096}
                data-promql=""
                spellcheck={false}
                autocapitalize="off"
                aria-invalid={err(`query.${i}`) ? 'true' : undefined}
                aria-describedby={described(`query.${i}`)}
              >
                {row.query}
              </textarea>
              <FieldError id={`e-query-${i}`} text={err(`query.${i}`)} />
              <div class="two">
                <div>
                  <label for={`unit.${i}`}>{t('monitoring.unit')}</label>
                  <select id={`unit.${i}`} name={`unit.${i}`}>
                    <option value="">{t('monitoring.unit.none')}</option>
                    {panelUnits.map((u) => (
                      <option value={u} selected={row.unit === u}>
                        {t(unitKeys[u])}
                      </option>
                    ))}
                  </select>
                </div>
                <div>
                  <label for={`range.${i}`}>{t('monitoring.range')}</label>
                  <select id={`range.${i}`} name={`range.${i}`}>
                    {Object.keys(panelRanges).map((r) => (
                      <option value={r} selected={(row.range || '1h') === r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </div>
              </div>
              {last ? null : (
                <div class="two">
                  <div>
                    <label for={`order.${i}`}>{t('monitoring.order')}</label>
                    <input
                      id={`order.${i}`}
                      name={`order.${i}`}
                      type="number"
                      min={1}
                      max={99}
                      value={row.order || String(i + 1)}
                    />
                  </div>
                  <label class="check">
                    <input type="checkbox" name={`remove.${i}`} value="1" />{' '}
                    {t('monitoring.remove')}
                  </label>
                </div>
              )}
            </fieldset>
          );
        })}
        <p>
          <button type="submit">{t('monitoring.save')}</button>{' '}
          <a class="button quiet" href={cancel}>
            {t('confirm.cancel')}
          </a>
        </p>
      </form>
    </>
  );
}
