import type { Labels } from './labels';
import type { AlertRoute, StoredAlert } from './route';

export interface GroupRow {
  key: string;
  route: AlertRoute;
  groupLabels: Labels;
  createdAt: number;
  nextFlushAt: number;
  lastSentAt: number | null;
  /** Fingerprints last notified as firing. */
  sentFiring: string[];
  /** Notifications made so far: with key and createdAt, the notification id. */
  seq: number;
}

const schema = `
CREATE TABLE IF NOT EXISTS alerts (
  fingerprint TEXT PRIMARY KEY, labels TEXT NOT NULL, annotations TEXT NOT NULL,
  starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  generator_url TEXT NOT NULL, receivers TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_ends_idx ON alerts(ends_at);
CREATE TABLE IF NOT EXISTS groups (
  key TEXT PRIMARY KEY, route TEXT NOT NULL, group_labels TEXT NOT NULL,
  created_at INTEGER NOT NULL, next_flush_at INTEGER NOT NULL, last_sent_at INTEGER,
  sent_firing TEXT NOT NULL DEFAULT '[]', seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS groups_next_idx ON groups(next_flush_at);
CREATE TABLE IF NOT EXISTS group_alerts (
  group_key TEXT NOT NULL, fingerprint TEXT NOT NULL, PRIMARY KEY (group_key, fingerprint));
CREATE INDEX IF NOT EXISTS group_alerts_fp_idx ON group_alerts(fingerprint);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

type Row = Record<string, SqlStorageValue>;
const str = (v: SqlStorageValue | undefined) => (typeof v === 'string' ? v : '');
const num = (v: SqlStorageValue | undefined) => (typeof v === 'number' ? v : Number(v ?? 0));
const json = <T>(v: SqlStorageValue | undefined): T => JSON.parse(str(v) || 'null') as T;

const toAlert = (r: Row): StoredAlert => ({
  fingerprint: str(r.fingerprint),
  labels: json<Labels>(r.labels),
  annotations: json<Labels>(r.annotations),
  startsAt: num(r.starts_at),
  endsAt: num(r.ends_at),
  updatedAt: num(r.updated_at),
  generatorURL: str(r.generator_url),
  receivers: json<string[]>(r.receivers),
});

const toGroup = (r: Row): GroupRow => ({
  key: str(r.key),
  route: json<AlertRoute>(r.route),
  groupLabels: json<Labels>(r.group_labels),
  createdAt: num(r.created_at),
  nextFlushAt: num(r.next_flush_at),
  lastSentAt: r.last_sent_at === null ? null : num(r.last_sent_at),
  sentFiring: json<string[]>(r.sent_firing),
  seq: num(r.seq),
});

/** The SQLite tables of an AlertGroups object (synchronous: DO storage). */
export class AlertTables {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
    sql.exec(schema);
  }

  /** The stored times of an alert, if the shard holds it (firing or resolved). */
  alertTimes(fp: string): { startsAt: number; endsAt: number } | undefined {
    const row = this.#sql
      .exec('SELECT starts_at, ends_at FROM alerts WHERE fingerprint = ?', fp)
      .toArray()[0];
    return row ? { startsAt: num(row.starts_at), endsAt: num(row.ends_at) } : undefined;
  }

  /** Alerts not yet resolved at `now`. */
  liveCount(now: number): number {
    const row = this.#sql
      .exec('SELECT COUNT(*) AS n FROM alerts WHERE ends_at > ?', now)
      .toArray()[0];
    return num(row?.n ?? 0);
  }

  /**
   * Inserts or refreshes an alert (`existing`: its stored times, from
   * `alertTimes`); a still-firing alert keeps its original startsAt.
   */
  upsertAlert(
    alert: StoredAlert,
    now: number,
    existing: { startsAt: number; endsAt: number } | undefined,
  ): StoredAlert {
    const startsAt =
      existing && existing.endsAt > now
        ? Math.min(existing.startsAt, alert.startsAt)
        : alert.startsAt;
    const stored = { ...alert, startsAt };
    this.#sql.exec(
      `INSERT INTO alerts (fingerprint, labels, annotations, starts_at, ends_at, updated_at, generator_url, receivers)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (fingerprint) DO UPDATE SET labels = excluded.labels, annotations = excluded.annotations,
         starts_at = excluded.starts_at, ends_at = excluded.ends_at, updated_at = excluded.updated_at,
         generator_url = excluded.generator_url, receivers = excluded.receivers`,
      stored.fingerprint,
      JSON.stringify(stored.labels),
      JSON.stringify(stored.annotations),
      stored.startsAt,
      stored.endsAt,
      stored.updatedAt,
      stored.generatorURL,
      JSON.stringify(stored.receivers),
    );
    return stored;
  }

  liveAlerts(now: number): StoredAlert[] {
    return this.#sql
      .exec('SELECT * FROM alerts WHERE ends_at > ? ORDER BY starts_at, fingerprint', now)
      .toArray()
      .map(toAlert);
  }

  /**
   * Live alerts carrying at least one of the label values: an equality
   * prefilter done by SQLite, so a shard of thousands of alerts is not
   * parsed to find the few that can inhibit (callers match the rest).
   */
  liveAlertsWithAnyLabel(now: number, pairs: { name: string; value: string }[]): StoredAlert[] {
    if (pairs.length === 0) return [];
    const where = pairs.map(() => 'json_extract(labels, ?) = ?').join(' OR ');
    return this.#sql
      .exec(
        `SELECT * FROM alerts WHERE ends_at > ? AND (${where}) ORDER BY starts_at, fingerprint`,
        now,
        ...pairs.flatMap((p) => [`$."${p.name}"`, p.value]),
      )
      .toArray()
      .map(toAlert);
  }

  /** Deletes alerts resolved before `before` that no group still holds. */
  forgetResolved(before: number): void {
    this.#sql.exec(
      'DELETE FROM alerts WHERE ends_at < ? AND fingerprint NOT IN (SELECT fingerprint FROM group_alerts)',
      before,
    );
  }

  /** Recently resolved alerts, most recently ended first. */
  resolvedAlerts(now: number, limit: number): StoredAlert[] {
    return this.#sql
      .exec(
        'SELECT * FROM alerts WHERE ends_at <= ? ORDER BY ends_at DESC, fingerprint LIMIT ?',
        now,
        limit,
      )
      .toArray()
      .map(toAlert);
  }

  /** Bounds the resolved history: all but the `keep` most recently ended go (unless a group holds them). */
  trimResolved(now: number, keep: number): void {
    this.#sql.exec(
      `DELETE FROM alerts WHERE ends_at <= ?1
         AND fingerprint NOT IN (SELECT fingerprint FROM group_alerts)
         AND fingerprint NOT IN (
           SELECT fingerprint FROM alerts WHERE ends_at <= ?1 ORDER BY ends_at DESC, fingerprint LIMIT ?2)`,
      now,
      keep,
    );
  }

  /** The earliest end among alerts no group holds: when the next one may be forgotten. */
  earliestUngroupedEnd(): number | null {
    const row = this.#sql
      .exec(
        'SELECT MIN(ends_at) AS e FROM alerts WHERE fingerprint NOT IN (SELECT fingerprint FROM group_alerts)',
      )
      .toArray()[0];
    return row?.e === null || row?.e === undefined ? null : num(row.e);
  }

  group(key: string): GroupRow | undefined {
    const row = this.#sql.exec('SELECT * FROM groups WHERE key = ?', key).toArray()[0];
    return row ? toGroup(row) : undefined;
  }

  allGroups(): GroupRow[] {
    return this.#sql.exec('SELECT * FROM groups ORDER BY key').toArray().map(toGroup);
  }

  createGroup(g: {
    key: string;
    route: AlertRoute;
    groupLabels: Labels;
    createdAt: number;
    nextFlushAt: number;
  }): void {
    this.#sql.exec(
      'INSERT INTO groups (key, route, group_labels, created_at, next_flush_at) VALUES (?, ?, ?, ?, ?)',
      g.key,
      JSON.stringify(g.route),
      JSON.stringify(g.groupLabels),
      g.createdAt,
      g.nextFlushAt,
    );
  }

  updateRoute(key: string, route: AlertRoute): void {
    this.#sql.exec('UPDATE groups SET route = ? WHERE key = ?', JSON.stringify(route), key);
  }

  addToGroup(key: string, fp: string): void {
    this.#sql.exec(
      'INSERT OR IGNORE INTO group_alerts (group_key, fingerprint) VALUES (?, ?)',
      key,
      fp,
    );
  }

  dropFromGroup(key: string, fps: string[]): void {
    for (const fp of fps)
      this.#sql.exec('DELETE FROM group_alerts WHERE group_key = ? AND fingerprint = ?', key, fp);
  }

  groupSize(key: string): number {
    const row = this.#sql
      .exec('SELECT COUNT(*) AS n FROM group_alerts WHERE group_key = ?', key)
      .toArray()[0];
    return num(row?.n ?? 0);
  }

  groupAlerts(key: string): StoredAlert[] {
    return this.#sql
      .exec(
        `SELECT a.* FROM alerts a JOIN group_alerts g ON g.fingerprint = a.fingerprint
         WHERE g.group_key = ? ORDER BY a.starts_at, a.fingerprint`,
        key,
      )
      .toArray()
      .map(toAlert);
  }

  dueGroups(now: number): GroupRow[] {
    return this.#sql
      .exec('SELECT * FROM groups WHERE next_flush_at <= ? ORDER BY next_flush_at', now)
      .toArray()
      .map(toGroup);
  }

  afterFlush(
    key: string,
    s: { nextFlushAt: number; sentFiring: string[]; lastSentAt: number | null; seq: number },
  ): void {
    this.#sql.exec(
      'UPDATE groups SET next_flush_at = ?, sent_firing = ?, last_sent_at = ?, seq = ? WHERE key = ?',
      s.nextFlushAt,
      JSON.stringify(s.sentFiring),
      s.lastSentAt,
      s.seq,
      key,
    );
  }

  deleteGroup(key: string): void {
    this.#sql.exec('DELETE FROM group_alerts WHERE group_key = ?', key);
    this.#sql.exec('DELETE FROM groups WHERE key = ?', key);
  }

  /** Adds to a named counter (kept with the shard, read by diagnostics). */
  count(name: string, by: number): void {
    this.#sql.exec(
      'INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value',
      name,
      by,
    );
  }

  counter(name: string): number {
    const row = this.#sql.exec('SELECT value FROM counters WHERE name = ?', name).toArray()[0];
    return num(row?.value ?? 0);
  }

  nextFlushAt(): number | null {
    const row = this.#sql.exec('SELECT MIN(next_flush_at) AS next FROM groups').toArray()[0];
    return row?.next === null || row?.next === undefined ? null : num(row.next);
  }
}
