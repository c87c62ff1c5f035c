import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export const deliveryStatuses = ['delivered', 'retrying', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

/**
 * One row per (notification, channel): the dedup key that keeps a
 * redelivered queue message from posting twice, and the delivery history.
 */
export const notificationDeliveries = sqliteTable(
  'notification_deliveries',
  {
    id: id(),
    notificationId: text().notNull(),
    channelId: text().notNull(),
    channelName: text().notNull(),
    receiverId: text().notNull(),
    receiverName: text().notNull(),
    /** Owner of the receiver (platform, workspace:<id>, cluster:<id>): who may read the history. */
    owner: text().notNull(),
    status: text({ enum: deliveryStatuses }).notNull(),
    attempts: integer().notNull().default(0),
    alerts: integer().notNull(),
    latencyMs: integer(),
    error: text(),
    createdAt: createdAt(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [
    uniqueIndex('notification_deliveries_key_idx').on(t.notificationId, t.channelId),
    index('notification_deliveries_owner_time_idx').on(t.owner, t.createdAt),
  ],
);
