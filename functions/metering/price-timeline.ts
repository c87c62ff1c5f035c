import type { PriceRow } from '../../db/queries/metering-prices';
import type { Quantities } from './store-query-types';
import { metricOrder, toApiUnit } from './units';

/** The prices of one cluster from `from` (unix seconds) until the next entry. */
export interface PricePeriod {
  from: number;
  currency: string;
  /** Per API unit, in metricOrder. */
  perUnit: number[];
}

const perUnitOf = (row: PriceRow) => [
  row.cpuPerCoreHour,
  row.memoryPerGiBHour,
  row.ingressPerGiB,
  row.egressPerGiB,
  row.pvcPerGiBHour,
];

/**
 * The price timeline of one cluster: the platform rows, overridden by the
 * cluster's own rows from the first one's effective time on. Before any
 * price the period's prices are zero (usage is metered, nothing charged).
 */
export function timelineFor(
  rows: PriceRow[],
  clusterId: string,
  fallbackCurrency: string,
): PricePeriod[] {
  const platform = rows.filter((r) => r.clusterId === null);
  const own = rows.filter((r) => r.clusterId === clusterId);
  const changes = [
    ...new Set([...platform, ...own].map((r) => r.effectiveFrom.getTime() / 1000)),
  ].sort((a, b) => a - b);
  const latest = (list: PriceRow[], t: number) =>
    list.filter((r) => r.effectiveFrom.getTime() / 1000 <= t).at(-1);
  const periods: PricePeriod[] = [
    { from: 0, currency: fallbackCurrency, perUnit: [0, 0, 0, 0, 0] },
  ];
  for (const t of changes) {
    const row = latest(own, t) ?? latest(platform, t);
    if (row) periods.push({ from: t, currency: row.currency, perUnit: perUnitOf(row) });
  }
  return periods;
}

/** The periods' start times inside (start, end): where the store must split its sums. */
export const changesWithin = (periods: PricePeriod[], start: number, end: number) =>
  periods.map((p) => p.from).filter((t) => t > start && t < end);

/** The period in effect at t. */
export const periodAt = (periods: PricePeriod[], t: number) =>
  periods.filter((p) => p.from <= t).at(-1) ?? periods[0];

/** The price of each of the store's periods: period i is [cuts[i], cuts[i+1]), cuts = start + changes. */
export function periodPrices(periods: PricePeriod[], start: number, end: number): PricePeriod[] {
  const cuts = [start, ...changesWithin(periods, start, end)];
  return cuts.map(
    (t) => periodAt(periods, t) ?? { from: t, currency: '', perUnit: [0, 0, 0, 0, 0] },
  );
}

/** Fees per metric of quantities (stored units) at one price. */
export function feeOf(q: Quantities, price: PricePeriod | undefined): number[] {
  return metricOrder.map((metric, m) => (q[m] ?? 0) * toApiUnit[metric] * (price?.perUnit[m] ?? 0));
}

/** The currency of the platform price in effect now (USD before any price). */
export function currentCurrency(rows: PriceRow[], nowSeconds: number): string {
  return (
    rows
      .filter((r) => r.clusterId === null && r.effectiveFrom.getTime() / 1000 <= nowSeconds)
      .at(-1)?.currency ??
    rows.find((r) => r.clusterId === null)?.currency ??
    'USD'
  );
}
