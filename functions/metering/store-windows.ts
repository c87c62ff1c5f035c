/**
 * Which agent first delivered each metering window of the cluster.
 *
 * Every replica of an agent can lead, one at a time, and each meters the
 * windows it led through. Around a hand-over both may meter the same window
 * (the old leader until it notices it lost the lease, the new one from the
 * last window it learned of); their batches carry different (agent, seq)
 * ids, so the `ingested` table alone would count both. The store is the one
 * place that sees every replica's batches, so it decides: the first agent to
 * deliver a window owns it, and batches of another agent for a window that
 * overlaps an owned one are duplicates. The owner's further batches for the
 * same window (a big window is split into several) all count.
 */

/**
 * Agent windows are at most an hour (cut at every hour boundary); a day of
 * slack bounds the overlap lookup to an index range whatever an agent sends.
 */
const LONGEST_WINDOW_SECONDS = 86_400;

export const windowsSchema = `
CREATE TABLE IF NOT EXISTS metered_windows (
  start INTEGER NOT NULL, end INTEGER NOT NULL, agent TEXT NOT NULL,
  PRIMARY KEY (start, end, agent)) WITHOUT ROWID;
`;

/**
 * Claims [start, end) for the agent unless another agent already owns a
 * window overlapping it; true when the agent's batch is to be counted.
 * Runs inside the ingest transaction, so claim and facts commit together.
 */
export function claimWindow(sql: SqlStorage, agent: string, start: number, end: number): boolean {
  const other = sql
    .exec(
      `SELECT 1 FROM metered_windows
       WHERE start > ?1 - ?4 AND start < ?2 AND end > ?1 AND agent <> ?3 LIMIT 1`,
      start,
      end,
      agent,
      LONGEST_WINDOW_SECONDS,
    )
    .toArray().length;
  if (other) return false;
  sql.exec(
    'INSERT INTO metered_windows (start, end, agent) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    start,
    end,
    agent,
  );
  return true;
}

/** Forgets owners of windows that ended before `beforeSeconds` (no spool holds them any more). */
export function pruneWindows(sql: SqlStorage, beforeSeconds: number): void {
  sql.exec('DELETE FROM metered_windows WHERE end < ?', beforeSeconds);
}
