import type { z } from 'zod';
import type { MeteringMetric } from '../../../protocol/metering-samples';
import type { MeteringResponse } from '../../metering/metering-schema';
import type { PriceView, priceResponse } from '../../metering/price-schema';
import type { FormProblem } from '../forms/form-problem';
import type { I18n, MessageKey } from '../i18n';
import { type ChartLine, LineChart } from './line-chart';
import { PriceForm } from './price-form';

export const meteringLevels = ['cluster', 'workspace', 'namespace'] as const;
export const meteringRanges = { '1d': 86_400, '7d': 7 * 86_400, '30d': 30 * 86_400 } as const;
export type MeteringLevel = (typeof meteringLevels)[number];
export type MeteringRange = keyof typeof meteringRanges;

const charts: { metric: MeteringMetric; title: MessageKey }[] = [
  { metric: 'cpu_usage', title: 'metering.cpu' },
  { metric: 'memory_usage', title: 'metering.memory' },
  { metric: 'net_bytes_received', title: 'metering.netIn' },
  { metric: 'net_bytes_transmitted', title: 'metering.netOut' },
  { metric: 'pvc_bytes_total', title: 'metering.storage' },
];

/** At most this many lines per chart (the biggest by total): more is unreadable on a phone. */
const MAX_LINES = 5;

type Item = MeteringResponse['items'][number];
const labelOf = (item: Item) =>
  [item.selector.cluster, item.selector.workspace, item.selector.namespace]
    .filter(Boolean)
    .join(' / ') || '–';

function linesOf(items: Item[], metric: MeteringMetric): ChartLine[] {
  return items
    .filter((item) => item.metrics[metric])
    .sort((a, b) => (b.metrics[metric]?.sum ?? 0) - (a.metrics[metric]?.sum ?? 0))
    .slice(0, MAX_LINES)
    .map((item) => ({ label: labelOf(item), points: item.metrics[metric]?.series ?? [] }));
}

export interface MeteringPageProps {
  i18n: I18n;
  level: MeteringLevel;
  range: MeteringRange;
  usage: MeteringResponse;
  workspaces: string[];
  price: z.infer<typeof priceResponse> | undefined;
  csrf: string;
  notice?: string | undefined;
  /** The price form, when it was not saved. */
  priceProblem?: FormProblem | undefined;
}

/** Usage charts per level and period, bill downloads per workspace, the platform price (admins). */
export function MeteringBody(props: MeteringPageProps) {
  const { i18n, level, range, usage, workspaces, price } = props;
  const { t } = i18n;
  return (
    <>
      {props.notice ? (
        <p class="notice" role="status">
          {props.notice}
        </p>
      ) : null}
      <form method="get" action="/ui/metering" class="card">
        <div class="inline">
          <div>
            <label for="level">{t('metering.level')}</label>
            <select id="level" name="level">
              {meteringLevels.map((l) => (
                <option value={l} selected={l === level}>
                  {t(`level.${l}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="range">{t('metering.range')}</label>
            <select id="range" name="range">
              {Object.keys(meteringRanges).map((r) => (
                <option value={r} selected={r === range}>
                  {t(`range.${r}` as MessageKey)}
                </option>
              ))}
            </select>
          </div>
          <button type="submit">{t('metering.show')}</button>
        </div>
      </form>
      <section class="card" aria-label={t('metering.title')}>
        {usage.items.length === 0 ? (
          <p class="muted">{t('metering.noData')}</p>
        ) : (
          charts.map((chart) => {
            const lines = linesOf(usage.items, chart.metric);
            const unit =
              usage.items.find((i) => i.metrics[chart.metric])?.metrics[chart.metric]?.unit ?? '';
            return (
              <LineChart
                i18n={i18n}
                title={t(chart.title)}
                unit={unit}
                lines={lines}
                start={usage.start}
                end={usage.end}
              />
            );
          })
        )}
      </section>
      {workspaces.length > 0 ? (
        <section class="card" aria-labelledby="bills">
          <h2 id="bills">{t('metering.bills')}</h2>
          <ul class="list">
            {workspaces.map((ws) => (
              <li class="row">
                <a href={`/ui/workspaces/${ws}/bill`}>{t('bill.title', { ws })}</a>
                <a href={`/ui/workspaces/${ws}/bill.csv`} download>
                  {t('metering.downloadCsv', { ws })}
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {price ? (
        <section class="card" aria-labelledby="prices">
          <h2 id="prices">{t('metering.prices')}</h2>
          <PriceTable i18n={i18n} price={price} />
          <PriceForm
            i18n={i18n}
            csrf={props.csrf}
            current={shownPrice(price)}
            problem={props.priceProblem}
          />
        </section>
      ) : null}
    </>
  );
}

/** The price in effect, else the next scheduled one (a new price starts at a whole hour). */
const shownPrice = (price: z.infer<typeof priceResponse>): PriceView | undefined =>
  price.effectiveFrom !== null
    ? price
    : price.history.find((h) => h.effectiveFrom !== null && h.cluster === price.cluster);

/** The next scheduled price (effective later than now, same cluster), if any. */
const nextPrice = (price: z.infer<typeof priceResponse>, now: number): PriceView | undefined =>
  price.history
    .filter(
      (h) =>
        h.effectiveFrom !== null && h.effectiveFrom * 1000 > now && h.cluster === price.cluster,
    )
    .sort((a, b) => (a.effectiveFrom ?? 0) - (b.effectiveFrom ?? 0))[0];

const priceRows = [
  ['cpuPerCoreHour', 'metering.cpu', 'unit.coreHour'],
  ['memoryPerGiBHour', 'metering.memory', 'unit.gibHour'],
  ['ingressPerGiB', 'metering.netIn', 'unit.gib'],
  ['egressPerGiB', 'metering.netOut', 'unit.gib'],
  ['pvcPerGiBHour', 'metering.storage', 'unit.gibHour'],
] as const;

/**
 * The price in effect and the next scheduled one side by side, each unit
 * price at its full precision (0.045 stays 0.045), units in words.
 */
function PriceTable({ i18n, price }: { i18n: I18n; price: z.infer<typeof priceResponse> }) {
  const { t } = i18n;
  const now = Date.now();
  const current =
    price.effectiveFrom !== null && price.effectiveFrom * 1000 <= now ? price : undefined;
  const next =
    nextPrice(price, now) ?? (price.effectiveFrom !== null && !current ? price : undefined);
  if (!current && !next) return <p class="muted">{t('metering.noPrice')}</p>;
  return (
    <>
      {current?.effectiveFrom != null ? (
        <p class="muted">
          {t('metering.priceSince', { time: i18n.dateTime(current.effectiveFrom * 1000) })}
        </p>
      ) : null}
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t('metering.item')}</th>
              <th scope="col">{t('metering.current')}</th>
              {next?.effectiveFrom != null ? (
                <th scope="col">
                  {t('metering.scheduled', { time: i18n.dateTime(next.effectiveFrom * 1000) })}
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {priceRows.map(([field, label, unit]) => (
              <tr>
                <th scope="row">
                  {t(label)} <span class="muted">{t(unit)}</span>
                </th>
                <td>{current ? i18n.price(current[field], current.currency) : '–'}</td>
                {next?.effectiveFrom != null ? (
                  <td>{i18n.price(next[field], next.currency)}</td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
