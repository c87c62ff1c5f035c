import type { PriceRow } from '../../db/queries/metering-prices';
import type { Env } from '../env';
import { badRequest } from '../errors';
import {
  changesWithin,
  feeOf,
  type PricePeriod,
  periodPrices,
  timelineFor,
} from './price-timeline';
import type { ClusterReach } from './reach';
import { legacyMeteringStoreOf, meteringStoreOf } from './store-names';
import { addInto } from './store-query';
import type {
  GroupKey,
  Quantities,
  StoreAnswer,
  StoreGroup,
  StoreQuery,
} from './store-query-types';

/**
 * One cluster's answer: its store (by id) plus, for facts stored before
 * stores were keyed by id, its legacy name-keyed store — from the cluster's
 * registration on only, so facts a deleted predecessor of the same name
 * left there never count. A legacy store that never held facts answers
 * empty without being created.
 */
async function askCluster(env: Env, target: ClusterReach, query: StoreQuery): Promise<StoreAnswer> {
  const since = Math.max(query.since ?? 0, target.clusterCreatedAt);
  const [current, legacy] = await Promise.all([
    meteringStoreOf(env, target.clusterId).query(query),
    legacyMeteringStoreOf(env, target.clusterName).queryIfStored({ ...query, since }),
  ]);
  if (!current.ok) return current;
  if (!legacy.ok) return legacy;
  return legacy.groups.length
    ? { ...current, groups: mergeGroups(current.groups, legacy.groups) }
    : current;
}

/** Two stores' groups of one cluster as one answer (same range and price periods). */
function mergeGroups(a: StoreGroup[], b: StoreGroup[]): StoreGroup[] {
  const merged = new Map<string, StoreGroup>();
  for (const group of [...a, ...b]) {
    const id = JSON.stringify(Object.entries(group.key).sort());
    const into = merged.get(id);
    if (!into) {
      merged.set(id, {
        key: group.key,
        buckets: [...group.buckets],
        periods: group.periods.map((q) => [...q]),
      });
      continue;
    }
    into.buckets.push(...group.buckets);
    group.periods.forEach((q, i) => {
      const period = into.periods[i];
      if (period) addInto(period, q);
      else into.periods[i] = [...q];
    });
  }
  for (const group of merged.values())
    group.buckets.sort((x, y) => x.index - y.index || x.period - y.period);
  return [...merged.values()];
}

/** One group of one cluster's answer, with fees already priced by that cluster's timeline. */
export interface PricedGroup {
  cluster: string;
  key: GroupKey;
  /** Per bucket index (ascending), quantities and their fees. */
  buckets: { index: number; quantities: Quantities; fees: number[] }[];
  totals: Quantities;
  fees: number[];
}

export interface FanOutAnswer {
  start: number;
  end: number;
  groups: PricedGroup[];
}

/**
 * Asks every target cluster's store in parallel (each with its own price
 * changes and tenant filter) and prices each group with its cluster's
 * timeline. The stores aggregate; only groups × buckets come back.
 */
export async function fanOut(
  env: Env,
  targets: ClusterReach[],
  query: Omit<StoreQuery, 'tenant' | 'priceChanges'>,
  priceRows: PriceRow[],
  currency: string,
): Promise<FanOutAnswer> {
  const timelines = new Map<string, PricePeriod[]>(
    targets.map((t) => [t.clusterId, timelineFor(priceRows, t.clusterId, currency)]),
  );
  const answers = await Promise.all(
    targets.map((t) =>
      askCluster(env, t, {
        ...query,
        ...(t.tenant ? { tenant: t.tenant } : {}),
        ...(t.workspaceSince ? { workspaceSince: t.workspaceSince } : {}),
        priceChanges: changesWithin(timelines.get(t.clusterId) ?? [], query.start, query.end),
      }),
    ),
  );
  let start = query.start;
  let end = query.end;
  const groups: PricedGroup[] = [];
  answers.forEach((answer, i) => {
    const target = targets[i];
    if (!target) return;
    if (!answer.ok) throw badRequest(answer.message);
    ({ start, end } = answer);
    const prices = periodPrices(timelines.get(target.clusterId) ?? [], answer.start, answer.end);
    for (const group of answer.groups) {
      const totals = [0, 0, 0, 0, 0];
      const fees = [0, 0, 0, 0, 0];
      group.periods.forEach((q, p) => {
        addInto(totals, q);
        addInto(fees, feeOf(q, prices[p]));
      });
      const buckets: PricedGroup['buckets'] = [];
      for (const b of group.buckets) {
        const fee = feeOf(b.quantities, prices[b.period]);
        const last = buckets.at(-1);
        if (last?.index === b.index) {
          addInto(last.quantities, b.quantities);
          addInto(last.fees, fee);
        } else buckets.push({ index: b.index, quantities: [...b.quantities], fees: fee });
      }
      groups.push({ cluster: target.clusterName, key: group.key, buckets, totals, fees });
    }
  });
  return { start, end, groups };
}
