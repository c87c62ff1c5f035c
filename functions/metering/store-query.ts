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
/** Terms a compound SELECT may have in a Durable Object's SQLite. */
const MAX_COMPOUND = 5;

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

/** Where a `since` time falls in the cover: whole minutes, whole hours where only hours remain. */
const snapSince = (t: number, rawCutoff: number) =>
  t < rawCutoff ? ceilTo(t, HOUR) : ceilTo(t, MINUTE);

/** Numbered SQL parameters, one per distinct value, so arms sharing a list bind it once. */
class Params {
  readonly values: (string | number)[] = [];
  readonly #index = new Map<string | number, number>();
  ref(value: string | number): string {
    let n = this.#index.get(value);
    if (n === undefined) {
      this.values.push(value);
      n = this.values.length;
      this.#index.set(value, n);
    }
    return `?${n}`;
  }
  list(values: string[]): string {
    return `(SELECT value FROM json_each(${this.ref(JSON.stringify(values))}))`;
  }
}

/**
 * The conditions of one piece of the cover that starts at `from` — which
 * tenant series and which workspaces count from then on — or null when
 * nothing of it counts. Every `since` is a cut of the cover, so a piece
 * lies wholly before or after each of them.
 */
function pieceCondition(
  query: StoreQuery,
  from: number,
  rawCutoff: number,
  params: Params,
): string[] | null {
  const from_ = (since: number) => snapSince(since, rawCutoff) <= from;
  if (query.since !== undefined && !from_(query.since)) return null;
  const conditions: string[] = [];
  const notYet = (query.workspaceSince ?? []).filter((w) => !from_(w.since)).map((w) => w.name);
  if (notYet.length) conditions.push(`s.workspace NOT IN ${params.list(notYet)}`);
  if (query.tenant) {
    const workspaces = query.tenant.workspaces.filter((w) => from_(w.since)).map((w) => w.name);
    const namespaces = query.tenant.namespaces.filter((n) => from_(n.since)).map((n) => n.name);
    const either: string[] = [];
    if (workspaces.length) either.push(`s.workspace IN ${params.list(workspaces)}`);
    if (namespaces.length) either.push(`s.namespace IN ${params.list(namespaces)}`);
    if (!either.length) return null;
    conditions.push(`(${either.join(' OR ')})`);
  }
  return conditions;
}

/** Every `since` of the query: where the cover is cut besides price changes. */
const sinceTimes = (query: StoreQuery) => [
  ...(query.since === undefined ? [] : [query.since]),
  ...(query.workspaceSince ?? []).map((w) => w.since),
  ...(query.tenant?.workspaces ?? []).map((w) => w.since),
  ...(query.tenant?.namespaces ?? []).map((n) => n.since),
];

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
  const sinceCuts = [...new Set(sinceTimes(query).map((t) => snapSince(t, rawCutoff)))];
  const pieces = cuts.slice(0, -1).flatMap((from, i) => {
    const to = cuts[i + 1] ?? end;
    const inner = sinceCuts.filter((t) => t > from && t < to).sort((a, b) => a - b);
    const bounds = [from, ...inner, to];
    return bounds.slice(0, -1).flatMap((a, j) => cover(a, bounds[j + 1] ?? to, granularity, i));
  });
  const stepSeconds = query.step ?? 0;
  const keys = query.groupBy.map((d) => columnOf[d]);
  const keyList = keys.length ? `${keys.map((k) => k.slice(2)).join(', ')}, ` : '';
  const counted = pieces.filter((p) => pieceCondition(query, p.from, rawCutoff, new Params()));
  /** One statement over up to MAX_COMPOUND pieces, with its own parameters. */
  const statementOf = (chunk: Piece[]) => {
    const params = new Params();
    const filters = (Object.entries(query.filter) as [Dimension, string][]).map(
      ([dimension, value]) => `${columnOf[dimension]} = ${params.ref(value)}`,
    );
    const bucket = stepSeconds ? `f.t / ${Math.trunc(stepSeconds)}` : '0';
    const columns = keys.map((k) => `${k} AS ${k.slice(2)}, `).join('');
    const arms = chunk.map((p) => {
      const where = [
        `f.t >= ${Math.trunc(p.from)}`,
        `f.t < ${Math.trunc(p.to)}`,
        ...filters,
        ...(pieceCondition(query, p.from, rawCutoff, params) ?? []),
      ];
      return `SELECT ${columns}${bucket} AS bi, ${p.period} AS pi, f.cpu, f.mem, f.rx, f.tx, f.pvc
       FROM ${p.table} f CROSS JOIN series s ON s.id = f.series WHERE ${where.join(' AND ')}`;
    });
    const text = `
    SELECT ${keyList}bi, pi, sum(cpu) AS cpu, sum(mem) AS mem, sum(rx) AS rx, sum(tx) AS tx, sum(pvc) AS pvc
    FROM (${arms.join(' UNION ALL ')})
    GROUP BY ${keyList}bi, pi`;
    return { text, values: params.values };
  };
  // SQLite in a Durable Object allows at most 5 terms per compound SELECT:
  // the pieces go in statements of up to 5, whose cells are added up here.
  const statements: { text: string; values: (string | number)[] }[] = [];
  for (let i = 0; i < counted.length; i += MAX_COMPOUND)
    statements.push(statementOf(counted.slice(i, i + MAX_COMPOUND)));

  const groups = new Map<string, { group: StoreGroup; cells: Map<string, Quantities> }>();
  let cells = 0;
  for (const statement of statements)
    for (const row of sql.exec(statement.text, ...statement.values)) {
      const key: GroupKey = {};
      query.groupBy.forEach((d, i) => {
        key[d] = String(row[keys[i]?.slice(2) ?? ''] ?? '');
      });
      const id = JSON.stringify(key);
      let entry = groups.get(id);
      if (!entry) {
        const periods = cuts.slice(0, -1).map(() => [0, 0, 0, 0, 0]);
        entry = { group: { key, buckets: [], periods }, cells: new Map() };
        groups.set(id, entry);
      }
      const q: Quantities = [
        Number(row.cpu),
        Number(row.mem),
        Number(row.rx),
        Number(row.tx),
        Number(row.pvc),
      ];
      const index = Number(row.bi);
      const pi = Number(row.pi);
      const cell = `${index}/${pi}`;
      const known = entry.cells.get(cell);
      if (known) addInto(known, q);
      else {
        if (++cells > query.maxCells)
          return {
            ok: false,
            reason: 'too_many',
            message: `The answer would exceed ${query.maxCells} series points; narrow the selector, the range or coarsen the step.`,
          };
        const quantities = [...q];
        entry.cells.set(cell, quantities);
        entry.group.buckets.push({ index, period: pi, quantities });
      }
      const period = entry.group.periods[pi];
      if (period) addInto(period, q);
    }
  // Ordered by the group's dimensions (binary, as SQLite's ORDER BY did), then buckets by time.
  const ordered = [...groups.values()].sort((x, y) => {
    for (const d of query.groupBy) {
      const a = x.group.key[d] ?? '';
      const b = y.group.key[d] ?? '';
      if (a !== b) return a < b ? -1 : 1;
    }
    return 0;
  });
  const answer = ordered.map(({ group }) => {
    group.buckets.sort((x, y) => x.index - y.index || x.period - y.period);
    return group;
  });
  return { ok: true, start, end, groups: answer };
}

export function addInto(target: Quantities, q: Quantities): void {
  for (let i = 0; i < 5; i++) target[i] = (target[i] ?? 0) + (q[i] ?? 0);
}
