import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { type MeteringMetric, meteringMetrics } from '../../protocol/metering-samples';
import type { Env } from '../env';
import { badRequest } from '../errors';
import type { Bill, BillGrouping, BillRow } from './bill-schema';
import { toCsv } from './csv';
import { fanOut } from './fan-out';
import { MAX_CELLS } from './metering-query';
import type { Quantities, StoreQuery } from './store-query-types';
import { targetPrices } from './target-prices';
import { resolveTargets } from './targets';
import { inApiUnits, metricOrder } from './units';

const groupByOf: Record<BillGrouping, StoreQuery['groupBy']> = {
  namespace: ['namespace'],
  workload: ['namespace', 'workloadKind', 'workload'],
  cluster: [],
};

const MAX_BILL_DAYS = 400;

const feesByMetric = (fees: number[]) =>
  Object.fromEntries(metricOrder.map((m, i) => [m, fees[i] ?? 0])) as Record<
    MeteringMetric,
    number
  >;
const sumOf = (values: number[]) => values.reduce((a, b) => a + b, 0);

/**
 * A workspace's bill: quantities and fees per namespace, workload or
 * cluster, from the stored facts of every cluster the workspace spans (so
 * pods and workloads long gone are still billed), each fee priced per
 * bucket with the price in effect then.
 */
export async function workspaceBill(
  env: Env,
  db: Database,
  principal: Principal,
  workspace: string,
  request: { start: number; end: number; groupBy: BillGrouping },
  nowSeconds: number,
): Promise<Bill> {
  const { start, end, groupBy } = request;
  if (end <= start) throw badRequest('end must be after start.');
  if (end - start > MAX_BILL_DAYS * 86_400)
    throw badRequest(`A bill covers at most ${MAX_BILL_DAYS} days.`);
  const targets = await resolveTargets(db, principal, 'bills', { workspace });
  const { priceRows, currency } = await targetPrices(db, targets, nowSeconds);
  const answer = await fanOut(
    env,
    targets,
    {
      groupBy: groupByOf[groupBy],
      filter: { workspace },
      start,
      end,
      step: null,
      maxCells: MAX_CELLS,
    },
    priceRows,
    currency,
  );
  const totalQ: Quantities = [0, 0, 0, 0, 0];
  const totalFees = [0, 0, 0, 0, 0];
  const rows: BillRow[] = answer.groups.map((g) => {
    for (let m = 0; m < 5; m++) {
      totalQ[m] = (totalQ[m] ?? 0) + (g.totals[m] ?? 0);
      totalFees[m] = (totalFees[m] ?? 0) + (g.fees[m] ?? 0);
    }
    return {
      cluster: g.cluster,
      ...g.key,
      quantities: inApiUnits(g.totals),
      fees: feesByMetric(g.fees),
      fee: sumOf(g.fees),
    };
  });
  rows.sort(
    (a, b) =>
      (a.cluster ?? '').localeCompare(b.cluster ?? '') ||
      (a.namespace ?? '').localeCompare(b.namespace ?? '') ||
      (a.workloadKind ?? '').localeCompare(b.workloadKind ?? '') ||
      (a.workload ?? '').localeCompare(b.workload ?? ''),
  );
  return {
    workspace,
    start: answer.start,
    end: answer.end,
    groupBy,
    currency,
    units: { ...meteringMetrics },
    rows,
    totals: {
      quantities: inApiUnits(totalQ),
      fees: feesByMetric(totalFees),
      fee: sumOf(totalFees),
    },
  };
}

const keyColumns: Record<BillGrouping, ('cluster' | 'namespace' | 'workloadKind' | 'workload')[]> =
  {
    cluster: ['cluster'],
    namespace: ['cluster', 'namespace'],
    workload: ['cluster', 'namespace', 'workloadKind', 'workload'],
  };

/** The bill as CSV: one row per group, quantity and fee per metric, then the row's fee; a total row last. */
export function billCsv(bill: Bill): string {
  const keys = keyColumns[bill.groupBy];
  const header = [
    ...keys,
    ...metricOrder.flatMap((m) => [`${m} (${meteringMetrics[m]})`, `${m} fee (${bill.currency})`]),
    `fee (${bill.currency})`,
  ];
  const values = (line: Bill['totals']) => [
    ...metricOrder.flatMap((m) => [line.quantities[m], line.fees[m]]),
    line.fee,
  ];
  const rows = bill.rows.map((r) => [...keys.map((k) => r[k] ?? ''), ...values(r)]);
  rows.push([...keys.map((_, i) => (i === 0 ? 'total' : '')), ...values(bill.totals)]);
  return toCsv(header, rows);
}

/** A download name safe in a Content-Disposition header. */
export function billFilename(bill: Bill): string {
  const day = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);
  const ws = bill.workspace.replace(/[^A-Za-z0-9._-]/g, '_');
  return `bill-${ws}-${day(bill.start)}-${day(bill.end)}.csv`;
}
