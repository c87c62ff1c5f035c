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

/** Records an attempt under the (notification, channel) dedup key. */
export async function recordAttempt(
  db: Database,
  attempt: {
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
  },
): Promise<void> {
  const now = new Date();
  await db
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
