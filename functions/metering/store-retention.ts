import { pruneWindows } from './store-windows';

/** How long each fact table keeps its rows, in days; 0 keeps them forever. */
export interface Retention {
  rawDays: number;
  hourlyDays: number;
  dailyDays: number;
}

export const defaultRetention: Retention = { rawDays: 7, hourlyDays: 400, dailyDays: 0 };

const DAY = 86_400;
/** The alarm prunes this often; rows live at most this much past their retention. */
export const PRUNE_INTERVAL_MS = 3600_000;

export function readRetention(sql: SqlStorage): Retention {
  const stored = new Map(
    sql
      .exec<{ key: string; value: number }>('SELECT key, value FROM settings')
      .toArray()
      .map((r) => [r.key, r.value]),
  );
  return {
    rawDays: stored.get('raw_days') ?? defaultRetention.rawDays,
    hourlyDays: stored.get('hourly_days') ?? defaultRetention.hourlyDays,
    dailyDays: stored.get('daily_days') ?? defaultRetention.dailyDays,
  };
}

export function writeRetention(sql: SqlStorage, retention: Retention): void {
  const upsert = (key: string, value: number) =>
    sql.exec(
      'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  upsert('raw_days', retention.rawDays);
  upsert('hourly_days', retention.hourlyDays);
  upsert('daily_days', retention.dailyDays);
}

/** First second still held at minute resolution, for a retention and a clock. */
export const rawCutoff = (retention: Retention, nowSeconds: number) =>
  retention.rawDays ? nowSeconds - retention.rawDays * DAY : 0;

/**
 * Deletes facts past retention, the (agent, seq) ids and window owners as
 * old as raw facts, and orphaned series.
 */
export function prune(sql: SqlStorage, retention: Retention, nowSeconds: number): void {
  const cut = (table: string, days: number) => {
    if (days) sql.exec(`DELETE FROM ${table} WHERE t < ?`, nowSeconds - days * DAY);
  };
  cut('facts_minute', retention.rawDays);
  cut('facts_hour', retention.hourlyDays);
  cut('facts_day', retention.dailyDays);
  // An agent's spool never holds a batch longer than the raw facts it made are kept.
  const idDays = Math.max(retention.rawDays, 7);
  sql.exec('DELETE FROM ingested WHERE at < ?', (nowSeconds - idDays * DAY) * 1000);
  pruneWindows(sql, nowSeconds - idDays * DAY);
  if (retention.dailyDays)
    sql.exec(
      `DELETE FROM series WHERE id NOT IN (SELECT series FROM facts_day)
       AND id NOT IN (SELECT series FROM facts_hour) AND id NOT IN (SELECT series FROM facts_minute)`,
    );
}
