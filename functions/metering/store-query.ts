import type {
  Dimension,
  GroupKey,
  Quantities,
  StoreAnswer,
  StoreGroup,
  StoreQuery,
} from './store-query-types';
import type { FactTable } from './store-schema';

const MINUTE = 60;
const HOUR = 3600;
const DAY = 86_400;

const floorTo = (t: number, unit: number) => t - (((t % unit) + unit) % unit);
const ceilTo = (t: number, unit: number) => floorTo(t + unit - 1, unit);

/** A time range read from one fact table, in one price period. */
interface Piece {
  table: FactTable;
  from: number;
  to: number;
  period: number;
}

/** The coarsest fact table whose buckets fit whole into a step. */
function granularityFor(step: number | null): number {
  if (step === null || step % DAY === 0) return DAY;
  if (step % HOUR === 0) return HOUR;
  return MINUTE;
}

/**
 * Covers [from, to) with the coarsest rows that lie wholly inside it: days
 * in the middle, hours next to them, minutes at ragged edges. Every row of
 * every table is a sum of quantities, so any cover of the same range gives
 * the same total; a coarser step only reads fewer rows.
 */
export function cover(from: number, to: number, granularity: number, period: number): Piece[] {
  const pieces: Piece[] = [];
  const add = (table: FactTable, a: number, b: number) => {
    if (a < b) pieces.push({ table, from: a, to: b, period });
  };
  if (granularity < HOUR) {
    add('facts_minute', from, to);
    return pieces;
  }
  const h0 = ceilTo(from, HOUR);
  const h1 = floorTo(to, HOUR);
  if (h0 >= h1) {
    add('facts_minute', from, to);
    return pieces;
  }
  add('facts_minute', from, h0);
  const d0 = ceilTo(h0, DAY);
  const d1 = floorTo(h1, DAY);
  if (granularity >= DAY && d0 < d1) {
    add('facts_hour', h0, d0);
    add('facts_day', d0, d1);
    add('facts_hour', d1, h1);
  } else add('facts_hour', h0, h1);
  add('facts_minute', h1, to);
  return pieces;
}

/**
 * Where a query really starts and ends: whole minutes, and whole hours
 * before `rawCutoff` (older minutes are gone, only hours remain).
 */
export function effectiveRange(start: number, end: number, rawCutoff: number) {
  const snap = (t: number) => (t < rawCutoff ? floorTo(t, HOUR) : floorTo(t, MINUTE));
  return { start: snap(start), end: snap(end) };
}

const columnOf: Record<Dimension | 'workloadKind', string> = {
  node: 's.node',
  workspace: 's.workspace',
  namespace: 's.namespace',
  workload: 's.workload',
  workloadKind: 's.workload_kind',
  pod: 's.pod',
};

/**
 * Per group, per bucket and per price period sums of one cluster's facts,
 * aggregated in SQLite: the rows read never reach JavaScript, only the
 * group × bucket cells of the answer do (and those are bounded). CROSS
 * JOIN pins the join order — facts by time range first, then each row's
 * series by primary key; left to itself the planner may start from the
 * series (by the workspace index) and scan the facts once per series.
 */
export function queryStore(sql: SqlStorage, query: StoreQuery, rawCutoff: number): StoreAnswer {
  const { start, end } = effectiveRange(query.start, query.end, rawCutoff);
  if (query.step !== null && query.step < HOUR && start < rawCutoff)
    return {
      ok: false,
      reason: 'too_fine',
      message: `Minute steps reach back only ${Math.round((Date.now() / 1000 - rawCutoff) / DAY)} days (the raw retention); use step=1h or coarser.`,
    };
  if (start >= end) return { ok: true, start, end, groups: [] };
  const granularity = granularityFor(query.step);
  const cuts = [
    start,
    ...query.priceChanges.filter((t) => t > start && t < end).sort((a, b) => a - b),
    end,
  ];
  const pieces = cuts
    .slice(0, -1)
    .flatMap((from, i) => cover(from, cuts[i + 1] ?? end, granularity, i));
  const stepSeconds = query.step ?? 0;

  const params: (string | number)[] = [];
  const union = pieces
    .map((p) => {
      params.push(p.from, p.to);
      const bucket = stepSeconds ? `t / ${stepSeconds}` : '0';
      return `SELECT series, ${bucket} AS bi, ${p.period} AS pi, cpu, mem, rx, tx, pvc
              FROM ${p.table} WHERE t >= ? AND t < ?`;
    })
    .join(' UNION ALL ');
  const where: string[] = [];
  for (const [dimension, value] of Object.entries(query.filter) as [Dimension, string][]) {
    where.push(`${columnOf[dimension]} = ?`);
    params.push(value);
  }
  if (query.tenant) {
    const { workspaces, namespaces } = query.tenant;
    const inList = (column: string, values: string[]) => {
      params.push(...values);
      return values.length ? `${column} IN (${values.map(() => '?').join(', ')})` : 'false';
    };
    where.push(`(${inList('s.workspace', workspaces)} OR ${inList('s.namespace', namespaces)})`);
  }
  const keys = query.groupBy.map((d) => columnOf[d]);
  const keyList = keys.length ? `${keys.join(', ')}, ` : '';
  const statement = `
    SELECT ${keyList}bi, pi, sum(cpu) AS cpu, sum(mem) AS mem, sum(rx) AS rx, sum(tx) AS tx, sum(pvc) AS pvc
    FROM (${union}) f CROSS JOIN series s ON s.id = f.series
    ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    GROUP BY ${keyList}bi, pi ORDER BY ${keyList}bi`;

  const groups = new Map<string, StoreGroup>();
  let cells = 0;
  for (const row of sql.exec(statement, ...params)) {
    const key: GroupKey = {};
    query.groupBy.forEach((d, i) => {
      key[d] = String(row[keys[i]?.slice(2) ?? ''] ?? '');
    });
    const id = JSON.stringify(key);
    let group = groups.get(id);
    if (!group) {
      group = { key, buckets: [], periods: cuts.slice(0, -1).map(() => [0, 0, 0, 0, 0]) };
      groups.set(id, group);
    }
    const q: Quantities = [
      Number(row.cpu),
      Number(row.mem),
      Number(row.rx),
      Number(row.tx),
      Number(row.pvc),
    ];
    if (++cells > query.maxCells)
      return {
        ok: false,
        reason: 'too_many',
        message: `The answer would exceed ${query.maxCells} series points; narrow the selector, the range or coarsen the step.`,
      };
    const pi = Number(row.pi);
    group.buckets.push({ index: Number(row.bi), period: pi, quantities: [...q] });
    const period = group.periods[pi];
    if (period) addInto(period, q);
  }
  return { ok: true, start, end, groups: [...groups.values()] };
}

export function addInto(target: Quantities, q: Quantities): void {
  for (let i = 0; i < 5; i++) target[i] = (target[i] ?? 0) + (q[i] ?? 0);
}
