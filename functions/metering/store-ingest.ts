import type { MeteringPayload, PodUsage } from '../../protocol/metering-samples';
import { bucketSeconds, type FactTable, factTables } from './store-schema';

/** Quantities of one series in one window: cpu, mem, rx, tx, pvc. */
type Quantities = [number, number, number, number, number];

const seriesKey = (p: PodUsage) =>
  JSON.stringify([p.namespace, p.pod, p.workloadKind, p.workload, p.node, p.workspace ?? '']);

/**
 * The buckets of `length` seconds a window overlaps, each with the share of
 * the window in it. A window that straddles a boundary is split by time, so
 * every bucket (and so every range edge) gets what was consumed in it, and
 * the shares of a table's buckets add up to the same window in every table.
 */
export function bucketShares(
  windowStart: number,
  windowEnd: number,
  length: number,
): [number, number][] {
  const span = windowEnd - windowStart;
  if (span <= 0) return [];
  const shares: [number, number][] = [];
  for (let b = windowStart - (windowStart % length); b < windowEnd; b += length) {
    const overlap = Math.min(windowEnd, b + length) - Math.max(windowStart, b);
    if (overlap > 0) shares.push([b, overlap / span]);
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

  /** Series ids of the pods, in order; unknown series are interned in two set-based statements. */
  idsOf(pods: PodUsage[]): number[] {
    const keys = pods.map(seriesKey);
    const missing = [...new Set(keys.filter((k) => !this.#cache.has(k)))];
    if (missing.length) {
      if (this.#cache.size + missing.length > SeriesIds.maxCached) this.#cache.clear();
      const dims = JSON.stringify(missing.map((k) => JSON.parse(k) as string[]));
      this.#sql.exec(
        `INSERT INTO series (namespace, pod, workload_kind, workload, node, workspace)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
         FROM json_each(?) WHERE true ON CONFLICT DO NOTHING`,
        dims,
      );
      const found = this.#sql.exec<{ id: number; k: number }>(
        `SELECT s.id AS id, j.key AS k FROM json_each(?) j JOIN series s
         ON s.namespace = j.value ->> 0 AND s.pod = j.value ->> 1 AND s.workload_kind = j.value ->> 2
         AND s.workload = j.value ->> 3 AND s.node = j.value ->> 4 AND s.workspace = j.value ->> 5`,
        dims,
      );
      for (const row of found) {
        const key = missing[row.k];
        if (key !== undefined) this.#cache.set(key, row.id);
      }
    }
    return keys.map((k) => {
      const id = this.#cache.get(k);
      if (id === undefined) throw new Error(`series ${k} was not interned`);
      return id;
    });
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
 * set-based (the rows parsed once from one JSON array into `window_rows`,
 * then one statement per table and bucket) it costs a handful of
 * statements per window whatever the number of pods.
 */
export function addWindow(
  sql: SqlStorage,
  seriesIds: SeriesIds,
  payload: MeteringPayload,
  rawCutoff: number,
): number {
  const ids = seriesIds.idsOf(payload.pods);
  const perSeries = new Map<number, Quantities>();
  payload.pods.forEach((p, i) => {
    const id = ids[i] ?? 0;
    const q = perSeries.get(id) ?? [0, 0, 0, 0, 0];
    q[0] += p.cpuCoreSeconds;
    q[1] += p.memoryByteSeconds;
    q[2] += p.netReceivedBytes;
    q[3] += p.netTransmittedBytes;
    q[4] += p.pvcByteSeconds;
    perSeries.set(id, q);
  });
  if (!perSeries.size) return 0;
  sql.exec(
    `INSERT INTO window_rows (series, cpu, mem, rx, tx, pvc)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
     FROM json_each(?)`,
    JSON.stringify([...perSeries].map(([id, q]) => [id, ...q])),
  );
  // A window replayed from past the raw retention adds only to hours and days.
  for (const table of factTables)
    for (const [bucket, share] of bucketShares(
      payload.windowStart,
      payload.windowEnd,
      bucketSeconds[table],
    ))
      if (table !== 'facts_minute' || bucket >= rawCutoff) upsertFacts(sql, table, bucket, share);
  sql.exec('DELETE FROM window_rows');
  return payload.pods.length;
}

function upsertFacts(sql: SqlStorage, table: FactTable, t: number, share: number) {
  sql.exec(
    `INSERT INTO ${table} (t, series, cpu, mem, rx, tx, pvc)
     SELECT ?1, series, cpu * ?2, mem * ?2, rx * ?2, tx * ?2, pvc * ?2 FROM window_rows WHERE true
     ON CONFLICT (t, series) DO UPDATE SET
       cpu = cpu + excluded.cpu, mem = mem + excluded.mem, rx = rx + excluded.rx,
       tx = tx + excluded.tx, pvc = pvc + excluded.pvc`,
    t,
    share,
  );
}
