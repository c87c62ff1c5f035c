import type { Database } from '../client';

export type SlotGrant = { granted: true } | { granted: false; retryAfterMs: number };

/**
 * Takes `count` send slots of `key` if, with them, no more than `limit`
 * were taken in the last `windowMs`; otherwise says when enough will have
 * aged out. One D1 batch (a transaction), so concurrent consumers cannot
 * both take the last slot. Plain SQL on the D1 client: drizzle cannot
 * batch a raw statement with parameters, and the conditional multi-row
 * insert has no query-builder form.
 */
export async function takeSendSlots(
  db: Database,
  key: string,
  wanted: number,
  limit: number,
  windowMs: number,
  now: number,
): Promise<SlotGrant> {
  const count = Math.min(Math.max(1, wanted), limit);
  const since = now - windowMs;
  // createDb's drizzle instance carries its D1 client; the Database type does not say so.
  const d1 = (db as Database & { $client: D1Database }).$client;
  const [, inserted, inWindow] = await d1.batch<{ at: number }>([
    // Slots older than the window are of no use to any key.
    d1.prepare('DELETE FROM notification_send_slots WHERE at <= ?').bind(since),
    d1
      .prepare(
        `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1)
         INSERT INTO notification_send_slots (key, at)
         SELECT ?2, ?3 FROM seq
         WHERE (SELECT COUNT(*) FROM notification_send_slots WHERE key = ?2 AND at > ?4) + ?1 <= ?5`,
      )
      .bind(count, key, now, since, limit),
    d1
      .prepare('SELECT at FROM notification_send_slots WHERE key = ? AND at > ? ORDER BY at')
      .bind(key, since),
  ]);
  if ((inserted?.meta.changes ?? 0) > 0) return { granted: true };
  const taken = inWindow?.results ?? [];
  // The slot whose expiry frees enough room for `count` more.
  const freeing = taken[taken.length + count - limit - 1]?.at ?? now;
  return { granted: false, retryAfterMs: Math.max(1000, freeing + windowMs - now + 1) };
}
