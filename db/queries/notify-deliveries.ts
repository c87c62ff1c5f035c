import { and, desc, eq, inArray, lt, or } from 'drizzle-orm';
import type { Database } from '../client';
import { notificationDeliveries } from '../schema';
import type { DeliveryStatus } from '../schema/notification-deliveries';

export type DeliveryRow = typeof notificationDeliveries.$inferSelect;

export async function findDelivery(
  db: Database,
  notificationId: string,
  channelId: string,
): Promise<DeliveryRow | undefined> {
  return db
    .select()
    .from(notificationDeliveries)
    .where(
      and(
        eq(notificationDeliveries.notificationId, notificationId),
        eq(notificationDeliveries.channelId, channelId),
      ),
    )
    .get();
}

/**
 * The `(notificationId, channelId)` pairs among `keys` already delivered:
 * the dedup check of a whole consumer batch in one query per 90 ids.
 */
export async function deliveredPairs(
  db: Database,
  keys: { notificationId: string; channelId: string }[],
): Promise<Set<string>> {
  const ids = [...new Set(keys.map((k) => k.notificationId))];
  const found = new Set<string>();
  const t = notificationDeliveries;
  for (let i = 0; i < ids.length; i += 90) {
    const rows = await db
      .select({ notificationId: t.notificationId, channelId: t.channelId })
      .from(t)
      .where(and(inArray(t.notificationId, ids.slice(i, i + 90)), eq(t.status, 'delivered')));
    for (const r of rows) found.add(`${r.notificationId}|${r.channelId}`);
  }
  return found;
}

export interface AttemptRecord {
  notificationId: string;
  channelId: string;
  channelName: string;
  receiverId: string;
  receiverName: string;
  owner: string;
  status: DeliveryStatus;
  attempts: number;
  alerts: number;
  latencyMs: number | null;
  error: string | null;
}

/**
 * A permanent failure is stored as `failed` with its error behind this mark
 * (the table has no column for it): the history reads it back as
 * `permanent: true`, so a refused credential is told apart from ten
 * exhausted retries.
 */
const PERMANENT_MARK = 'permanent: ';

/** The stored error of a permanent failure (at most 1000 characters). */
export const permanentError = (error: string) => `${PERMANENT_MARK}${error}`.slice(0, 1000);

/** A stored error, and whether it records a permanent failure. */
export function readError(stored: string | null): { error: string | null; permanent: boolean } {
  if (stored?.startsWith(PERMANENT_MARK))
    return { error: stored.slice(PERMANENT_MARK.length), permanent: true };
  return { error: stored, permanent: false };
}

const upsertAttempt = (db: Database, attempt: AttemptRecord, now: Date) =>
  db
    .insert(notificationDeliveries)
    .values({ ...attempt, updatedAt: now })
    .onConflictDoUpdate({
      target: [notificationDeliveries.notificationId, notificationDeliveries.channelId],
      set: {
        status: attempt.status,
        attempts: attempt.attempts,
        latencyMs: attempt.latencyMs,
        error: attempt.error,
        updatedAt: now,
      },
    });

/**
 * upsertAttempt's statement, written out once: a consumer batch records up
 * to 100 attempts, and building each through the query builder cost more
 * CPU than the deliveries themselves. Same columns and conflict rule.
 */
const UPSERT_ATTEMPT_SQL = `INSERT INTO notification_deliveries
  (id, notification_id, channel_id, channel_name, receiver_id, receiver_name, owner,
   status, attempts, alerts, latency_ms, error, created_at, updated_at)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (notification_id, channel_id) DO UPDATE SET
    status = excluded.status, attempts = excluded.attempts, latency_ms = excluded.latency_ms,
    error = excluded.error, updated_at = excluded.updated_at`;

/** Records the attempts of a consumer batch in one D1 batch (one round trip). */
export async function recordAttempts(db: Database, attempts: AttemptRecord[]): Promise<void> {
  if (attempts.length === 0) return;
  const now = Date.now();
  const statement = db.$client.prepare(UPSERT_ATTEMPT_SQL);
  await db.$client.batch(
    attempts.map((a) =>
      statement.bind(
        crypto.randomUUID(),
        a.notificationId,
        a.channelId,
        a.channelName,
        a.receiverId,
        a.receiverName,
        a.owner,
        a.status,
        a.attempts,
        a.alerts,
        a.latencyMs,
        a.error,
        now,
        now,
      ),
    ),
  );
}

/** Records an attempt under the (notification, channel) dedup key. */
export async function recordAttempt(db: Database, attempt: AttemptRecord): Promise<void> {
  await upsertAttempt(db, attempt, new Date());
}

/** Newest first; `before` is the (createdAt, id) of the last row of the previous page. */
export async function listDeliveries(
  db: Database,
  limit: number,
  before?: { createdAt: number; id: string },
  owners?: string[],
): Promise<DeliveryRow[]> {
  const t = notificationDeliveries;
  if (owners?.length === 0) return [];
  const page = before
    ? or(
        lt(t.createdAt, new Date(before.createdAt)),
        and(eq(t.createdAt, new Date(before.createdAt)), lt(t.id, before.id)),
      )
    : undefined;
  const where = and(page, owners ? inArray(t.owner, owners.slice(0, 90)) : undefined);
  return db.select().from(t).where(where).orderBy(desc(t.createdAt), desc(t.id)).limit(limit);
}

/** Forgets delivery history older than `before` (the dedup key only matters while the queue may redeliver). */
export async function pruneDeliveries(db: Database, before: Date): Promise<void> {
  await db.delete(notificationDeliveries).where(lt(notificationDeliveries.createdAt, before));
}
