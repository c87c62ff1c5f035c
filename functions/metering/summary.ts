import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import type { Env } from '../env';
import { fanOut } from './fan-out';
import { MAX_CELLS } from './metering-query';
import type { MeteringSummary } from './summary-schema';
import { targetPrices } from './target-prices';
import { resolveTargets } from './targets';
import { DAY, floorTo } from './time-params';
import { inApiUnits } from './units';

const TREND_DAYS = 30;
const TOP = 5;
const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Midnight UTC of the first of the month `offset` months from t's. */
export const monthStart = (t: number, offset = 0) => {
  const d = new Date(t * 1000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1) / 1000;
};

/**
 * The dashboard card of a workspace in one call: this month so far, last
 * month, the top namespaces this month and a daily trend. One store query
 * per cluster (daily buckets per namespace since the earlier of last
 * month's start and the trend's) feeds all four.
 */
export async function workspaceSummary(
  env: Env,
  db: Database,
  principal: Principal,
  workspace: string,
  nowSeconds: number,
): Promise<MeteringSummary> {
  const thisMonth = monthStart(nowSeconds);
  const lastMonth = monthStart(nowSeconds, -1);
  const trendStart = floorTo(nowSeconds, DAY) - (TREND_DAYS - 1) * DAY;
  const start = Math.min(lastMonth, trendStart);
  const targets = await resolveTargets(db, principal, 'bills', { workspace });
  const { priceRows, currency } = await targetPrices(db, targets, nowSeconds);
  const answer = await fanOut(
    env,
    targets,
    {
      groupBy: ['namespace'],
      filter: { workspace },
      start,
      end: nowSeconds,
      step: DAY,
      maxCells: MAX_CELLS,
    },
    priceRows,
    currency,
  );
  const daily = new Map<number, number>();
  const perNamespace: {
    cluster: string;
    namespace: string;
    amount: number;
    cpu: number;
    memory: number;
  }[] = [];
  let thisAmount = 0;
  let lastAmount = 0;
  const thisQuantities = [0, 0, 0, 0, 0];
  for (const group of answer.groups) {
    let nsAmount = 0;
    const nsQ = [0, 0, 0, 0, 0];
    for (const b of group.buckets) {
      const t = b.index * DAY;
      const fee = sumOf(b.fees);
      daily.set(t, (daily.get(t) ?? 0) + fee);
      if (t >= thisMonth) {
        nsAmount += fee;
        for (let m = 0; m < 5; m++) nsQ[m] = (nsQ[m] ?? 0) + (b.quantities[m] ?? 0);
      } else if (t >= lastMonth) lastAmount += fee;
    }
    thisAmount += nsAmount;
    for (let m = 0; m < 5; m++) thisQuantities[m] = (thisQuantities[m] ?? 0) + (nsQ[m] ?? 0);
    const units = inApiUnits(nsQ);
    perNamespace.push({
      cluster: group.cluster,
      namespace: group.key.namespace ?? '',
      amount: nsAmount,
      cpu: units.cpu_usage,
      memory: units.memory_usage,
    });
  }
  const top = perNamespace
    .filter((n) => n.amount > 0 || n.cpu > 0 || n.memory > 0)
    .sort((a, b) => b.amount - a.amount || b.cpu - a.cpu || a.namespace.localeCompare(b.namespace))
    .slice(0, TOP)
    .map(({ cluster, namespace, amount, cpu }) => ({
      cluster,
      namespace,
      amount,
      cpuCoreHours: cpu,
    }));
  const trend: [number, number][] = [];
  for (let t = trendStart; t <= nowSeconds; t += DAY) trend.push([t, daily.get(t) ?? 0]);
  return {
    workspace,
    currency,
    generatedAt: nowSeconds,
    thisMonth: {
      start: thisMonth,
      end: nowSeconds,
      amount: thisAmount,
      quantities: inApiUnits(thisQuantities),
    },
    lastMonth: { start: lastMonth, end: thisMonth, amount: lastAmount },
    topNamespaces: top,
    trend,
  };
}
