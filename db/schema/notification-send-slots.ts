import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * One row per message sent to a rate-limited target in the last minute:
 * a sliding-window log (DingTalk allows 20 messages a minute per robot and
 * mutes a robot that exceeds it for 10 minutes, so a fixed window that lets
 * 40 through across its boundary is not good enough). `key` names the
 * target: `dingtalk:<hash of the robot URL>` or `channel:<id>`.
 */
export const notificationSendSlots = sqliteTable(
  'notification_send_slots',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    key: text().notNull(),
    /** Epoch ms the slot was taken. */
    at: integer().notNull(),
  },
  (t) => [index('notification_send_slots_key_at_idx').on(t.key, t.at)],
);
