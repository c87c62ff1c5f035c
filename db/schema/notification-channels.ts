import { index, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export const channelTypes = [
  'email',
  'slack',
  'dingtalk',
  'wecom',
  'feishu',
  'discord',
  'telegram',
  'webhook',
] as const;
export type ChannelType = (typeof channelTypes)[number];

/**
 * Where notifications go. `owner` is the scope the channel belongs to:
 * `platform`, `workspace:<id>` or `cluster:<id>`; names are unique per owner.
 * `settings` holds the non-secret part of the config; `secrets` is the
 * AES-GCM sealed JSON of the write-only fields (URLs with keys, tokens).
 */
export const notificationChannels = sqliteTable(
  'notification_channels',
  {
    id: id(),
    owner: text().notNull(),
    name: text().notNull(),
    type: text({ enum: channelTypes }).notNull(),
    settings: text({ mode: 'json' }).$type<Record<string, unknown>>().notNull().default({}),
    secrets: text().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: timestamp(),
  },
  (t) => [
    uniqueIndex('notification_channels_owner_name_idx').on(t.owner, t.name),
    index('notification_channels_type_idx').on(t.type),
  ],
);
