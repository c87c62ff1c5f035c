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
import { addInto } from './store-query';
import type { GroupKey, Quantities, StoreQuery } from './store-query-types';

/** A cluster store's store by cluster name (one object per cluster). */
export const meteringStoreOf = (env: Env, clusterName: string) =>
  env.METERING_STORE.getByName(`cluster:${clusterName}`);

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
