import type { MeteringPayload, PodUsage } from './samples';
import { bucketSeconds, type FactTable, factTables } from './store-schema';

/** Quantities of one series in one window: cpu, mem, rx, tx, pvc. */
type Quantities = [number, number, number, number, number];

const seriesKey = (p: PodUsage) =>
  JSON.stringify([p.namespace, p.pod, p.workloadKind, p.workload, p.node, p.workspace ?? '']);

/**
 * The minutes a window overlaps, each with the share of the window in it.
 * A window that straddles a minute boundary is split by time, so every
 * bucket (and so every range edge) gets exactly what was consumed in it.
 */
export function minuteShares(windowStart: number, windowEnd: number): [number, number][] {
  const length = windowEnd - windowStart;
  if (length <= 0) return [];
  const shares: [number, number][] = [];
  for (let m = windowStart - (windowStart % 60); m < windowEnd; m += 60) {
    const overlap = Math.min(windowEnd, m + 60) - Math.max(windowStart, m);
    if (overlap > 0) shares.push([m, overlap / length]);
  }
  return shares;
}

/** Interns series ids, caching them in memory (the table is the truth). */
export class SeriesIds {
  readonly #sql: SqlStorage;
  readonly #cache = new Map<string, number>();
  /** Bounds the cache on clusters with very many short-lived pods. */
  static readonly maxCached = 250_000;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  idOf(p: PodUsage): number {
    const key = seriesKey(p);
    const cached = this.#cache.get(key);
    if (cached !== undefined) return cached;
    const dims = [p.namespace, p.workspace ?? '', p.node, p.workloadKind, p.workload, p.pod];
    this.#sql.exec(
      `INSERT INTO series (namespace, workspace, node, workload_kind, workload, pod)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      ...dims,
    );
    const row = this.#sql
      .exec<{ id: number }>(
        `SELECT id FROM series WHERE namespace = ? AND workspace = ? AND node = ?
         AND workload_kind = ? AND workload = ? AND pod = ?`,
        ...dims,
      )
      .one();
    if (this.#cache.size >= SeriesIds.maxCached) this.#cache.clear();
    this.#cache.set(key, row.id);
    return row.id;
  }

  forget(): void {
    this.#cache.clear();
  }
}

/**
 * Adds one window's quantities to the minute, hour and day tables.
 *
 * Rollup happens here, on ingest, rather than by alarm: a query never
 * meets an hour whose rollup is still pending, batches the agent replays
 * late (after an outage) land in every table at once, and being
 * set-based (one statement per table and minute, the rows passed as one
 * JSON array) it costs a handful of statements per window whatever the
 * number of pods.
 */
export function addWindow(
  sql: SqlStorage,
  ids: SeriesIds,
  payload: MeteringPayload,
  rawCutoff: number,
): number {
  const perSeries = new Map<number, Quantities>();
  for (const p of payload.pods) {
    const id = ids.idOf(p);
    const q = perSeries.get(id) ?? [0, 0, 0, 0, 0];
    q[0] += p.cpuCoreSeconds;
    q[1] += p.memoryByteSeconds;
    q[2] += p.netReceivedBytes;
    q[3] += p.netTransmittedBytes;
    q[4] += p.pvcByteSeconds;
    perSeries.set(id, q);
  }
  if (!perSeries.size) return 0;
  const rows = JSON.stringify([...perSeries].map(([id, q]) => [id, ...q]));
  // A window replayed from past the raw retention adds only to hours and days.
  for (const [minute, share] of minuteShares(payload.windowStart, payload.windowEnd))
    for (const table of factTables)
      if (table !== 'facts_minute' || minute >= rawCutoff)
        upsertFacts(sql, table, bucketOf(table, minute), share, rows);
  return payload.pods.length;
}

const bucketOf = (table: FactTable, t: number) => t - (t % bucketSeconds[table]);

function upsertFacts(sql: SqlStorage, table: FactTable, t: number, share: number, rows: string) {
  sql.exec(
    `INSERT INTO ${table} (t, series, cpu, mem, rx, tx, pvc)
     SELECT ?1, value ->> 0, (value ->> 1) * ?2, (value ->> 2) * ?2, (value ->> 3) * ?2,
            (value ->> 4) * ?2, (value ->> 5) * ?2
     FROM json_each(?3) WHERE true
     ON CONFLICT (t, series) DO UPDATE SET
       cpu = cpu + excluded.cpu, mem = mem + excluded.mem, rx = rx + excluded.rx,
       tx = tx + excluded.tx, pvc = pvc + excluded.pvc`,
    t,
    share,
    rows,
  );
}
