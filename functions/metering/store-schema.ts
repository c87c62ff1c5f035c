/**
 * The SQLite tables of one cluster's MeteringStore.
 *
 * `series` interns the dimensions of a pod sample (namespace, workspace,
 * node, workload, pod) once, so fact rows are a small integer series id, a
 * bucket start and five quantities. Facts are kept three times: per minute
 * (raw), per hour and per UTC day; each row holds quantities (core-seconds,
 * byte-seconds, bytes), never rates, so sums over any cover of a range are
 * the same. Primary keys lead with the bucket so range scans are index
 * scans. `ingested` remembers (agent, seq) of every batch taken, so a
 * resent batch is recognised.
 */
export const factTables = ['facts_minute', 'facts_hour', 'facts_day'] as const;
export type FactTable = (typeof factTables)[number];

/** Bucket length in seconds of each fact table. */
export const bucketSeconds: Record<FactTable, number> = {
  facts_minute: 60,
  facts_hour: 3600,
  facts_day: 86_400,
};

const factTable = (name: FactTable) => `
CREATE TABLE IF NOT EXISTS ${name} (
  t INTEGER NOT NULL, series INTEGER NOT NULL,
  cpu REAL NOT NULL, mem REAL NOT NULL, rx REAL NOT NULL, tx REAL NOT NULL, pvc REAL NOT NULL,
  PRIMARY KEY (t, series)) WITHOUT ROWID;`;

export const storeSchema = `
CREATE TABLE IF NOT EXISTS series (
  id INTEGER PRIMARY KEY,
  namespace TEXT NOT NULL, workspace TEXT NOT NULL, node TEXT NOT NULL,
  workload_kind TEXT NOT NULL, workload TEXT NOT NULL, pod TEXT NOT NULL,
  UNIQUE (namespace, pod, workload_kind, workload, node, workspace));
CREATE INDEX IF NOT EXISTS series_workspace_idx ON series(workspace);
${factTables.map(factTable).join('\n')}
CREATE TABLE IF NOT EXISTS ingested (
  agent TEXT NOT NULL, seq INTEGER NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (agent, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ingested_at_idx ON ingested(at);
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
-- One window's rows while it is added (emptied in the same transaction):
-- parsed from JSON once, then read natively by the three upserts.
CREATE TABLE IF NOT EXISTS window_rows (
  series INTEGER PRIMARY KEY,
  cpu REAL NOT NULL, mem REAL NOT NULL, rx REAL NOT NULL, tx REAL NOT NULL, pvc REAL NOT NULL);
`;
