import type { PriceRow } from '../../db/queries/metering-prices';
import type { Env } from '../env';
import { badRequest } from '../errors';
import { changesWithin, feesOf, type PricePeriod, timelineFor } from './price-timeline';
import type { ClusterReach } from './reach';
import type { GroupKey, Quantities, StoreQuery } from './store-query-types';

/** A cluster store's store by cluster name (one object per cluster). */
export const meteringStoreOf = (env: Env, clusterName: string) =>
  env.METERING_STORE.getByName(`cluster:${clusterName}`);

/** One group of one cluster's answer, with fees already priced by that cluster's timeline. */
export interface PricedGroup {
  cluster: string;
  key: GroupKey;
  buckets: { index: number; quantities: Quantities }[];
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
      meteringStoreOf(env, t.clusterName).query({
        ...query,
        ...(t.tenant ? { tenant: t.tenant } : {}),
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
    const periods = timelines.get(target.clusterId) ?? [];
    for (const group of answer.groups) {
      const totals = [0, 0, 0, 0, 0];
      for (const q of group.periods)
        for (let m = 0; m < 5; m++) totals[m] = (totals[m] ?? 0) + (q[m] ?? 0);
      groups.push({
        cluster: target.clusterName,
        key: group.key,
        buckets: group.buckets,
        totals,
        fees: feesOf(group.periods, periods, answer.start, answer.end),
      });
    }
  });
  return { start, end, groups };
}
