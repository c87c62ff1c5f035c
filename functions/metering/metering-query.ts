import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { type MeteringMetric, meteringMetrics } from '../../protocol/metering-samples';
import type { Env } from '../env';
import { badRequest } from '../errors';
import { fanOut, type PricedGroup } from './fan-out';
import type { MeteringQueryInput, MeteringResponse, MeteringSeries } from './metering-schema';
import type { Dimension, GroupKey, StoreQuery } from './store-query-types';
import { targetPrices } from './target-prices';
import { resolveTargets } from './targets';
import { metricOrder, toApiUnit } from './units';

export type Level = MeteringQueryInput['level'];

/** What each level groups a cluster's facts by. */
export const groupByOf: Record<Level, StoreQuery['groupBy']> = {
  cluster: [],
  node: ['node'],
  workspace: ['workspace'],
  namespace: ['namespace'],
  workload: ['namespace', 'workloadKind', 'workload'],
  pod: ['namespace', 'workloadKind', 'workload', 'pod'],
};

/** Series points one answer may hold per series; finer steps over longer ranges are refused. */
export const MAX_POINTS = 2000;
/** Group × bucket cells one cluster store may return. */
export const MAX_CELLS = 200_000;

export type Selector = Partial<Record<Dimension | 'cluster' | 'workloadKind', string>>;

/** The item a group belongs to: workspaces merge across clusters, everything else is per cluster. */
function selectorOf(level: Level, group: PricedGroup, filter: Selector): Selector {
  const selector: Selector = { ...filter };
  if (level !== 'workspace') selector.cluster = group.cluster;
  for (const [k, v] of Object.entries(group.key) as [keyof GroupKey, string][]) selector[k] = v;
  return selector;
}

export function pointCount(start: number, end: number, step: number): number {
  return end <= start ? 0 : Math.floor((end - 1) / step) - Math.floor(start / step) + 1;
}

/** GET /api/v1/metering: per-metric series and totals for a selector, over every store it spans. */
export async function runMeteringQuery(
  env: Env,
  db: Database,
  principal: Principal,
  input: MeteringQueryInput,
  nowSeconds: number,
): Promise<MeteringResponse> {
  const { level, start, end, step, metrics } = input;
  if (end <= start) throw badRequest('end must be after start.');
  if (pointCount(start, end, step) > MAX_POINTS)
    throw badRequest(
      `That is more than ${MAX_POINTS} points per series; use a coarser step or a shorter range.`,
    );
  const filter: Selector = {};
  for (const d of ['node', 'workspace', 'namespace', 'workload', 'pod'] as const) {
    const value = input[d];
    if (value !== undefined) filter[d] = value;
  }
  const targets = await resolveTargets(db, principal, 'metering', {
    cluster: input.cluster,
    workspace: input.workspace,
  });
  const { priceRows, currency } = await targetPrices(db, targets, nowSeconds);
  const storeFilter = { ...filter };
  const answer = await fanOut(
    env,
    targets,
    { groupBy: groupByOf[level], filter: storeFilter, start, end, step, maxCells: MAX_CELLS },
    priceRows,
    currency,
  );
  if (input.cluster !== undefined) filter.cluster = input.cluster;
  const items = mergeItems(level, answer.groups, filter, answer.start, answer.end, step, metrics);
  return { level, start: answer.start, end: answer.end, step: input.stepText, currency, items };
}

interface Accumulated {
  selector: Selector;
  buckets: Map<number, number[]>;
  totals: number[];
  fees: number[];
}

function mergeItems(
  level: Level,
  groups: PricedGroup[],
  filter: Selector,
  start: number,
  end: number,
  step: number,
  metrics: MeteringMetric[],
): MeteringResponse['items'] {
  const merged = new Map<string, Accumulated>();
  for (const group of groups) {
    const selector = selectorOf(level, group, filter);
    const id = JSON.stringify(Object.entries(selector).sort());
    let acc = merged.get(id);
    if (!acc) {
      acc = { selector, buckets: new Map(), totals: [0, 0, 0, 0, 0], fees: [0, 0, 0, 0, 0] };
      merged.set(id, acc);
    }
    for (const b of group.buckets) {
      const into = acc.buckets.get(b.index) ?? [0, 0, 0, 0, 0];
      for (let m = 0; m < 5; m++) into[m] = (into[m] ?? 0) + (b.quantities[m] ?? 0);
      acc.buckets.set(b.index, into);
    }
    for (let m = 0; m < 5; m++) {
      acc.totals[m] = (acc.totals[m] ?? 0) + (group.totals[m] ?? 0);
      acc.fees[m] = (acc.fees[m] ?? 0) + (group.fees[m] ?? 0);
    }
  }
  const first = Math.floor(start / step);
  const points = pointCount(start, end, step);
  return [...merged.values()]
    .sort((a, b) => JSON.stringify(a.selector).localeCompare(JSON.stringify(b.selector)))
    .map((acc) => {
      const out: Partial<Record<MeteringMetric, MeteringSeries>> = {};
      for (const metric of metrics) {
        const m = metricOrder.indexOf(metric);
        const series: [number, number][] = [];
        for (let i = 0; i < points; i++) {
          const index = first + i;
          const value = (acc.buckets.get(index)?.[m] ?? 0) * toApiUnit[metric];
          series.push([Math.max(index * step, start), value]);
        }
        const values = series.map(([, v]) => v);
        const sum = (acc.totals[m] ?? 0) * toApiUnit[metric];
        out[metric] = {
          unit: meteringMetrics[metric],
          sum,
          min: values.length ? Math.min(...values) : 0,
          max: values.length ? Math.max(...values) : 0,
          avg: values.length ? sum / values.length : 0,
          fee: acc.fees[m] ?? 0,
          series,
        };
      }
      return { selector: acc.selector, metrics: out };
    });
}
