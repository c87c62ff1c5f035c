import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export type MatchOp = '=' | '!=' | '=~' | '!~';
export interface LabelMatcher {
  name: string;
  value: string;
  op: MatchOp;
}

/**
 * Who is notified of which alerts. `owner` as for channels: a workspace
 * receiver sees only alerts of its workspace's namespaces, a cluster
 * receiver the alerts of its cluster, a platform receiver everything.
 */
export const notificationReceivers = sqliteTable(
  'notification_receivers',
  {
    id: id(),
    owner: text().notNull(),
    name: text().notNull(),
    /** Channel ids (of the same owner), in the order given. */
    channelIds: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    matchers: text({ mode: 'json' }).$type<LabelMatcher[]>().notNull().default([]),
    groupBy: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    groupWaitSeconds: integer().notNull().default(30),
    groupIntervalSeconds: integer().notNull().default(300),
    repeatIntervalSeconds: integer().notNull().default(14400),
    sendResolved: integer({ mode: 'boolean' }).notNull().default(true),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: timestamp(),
  },
  (t) => [uniqueIndex('notification_receivers_owner_name_idx').on(t.owner, t.name)],
);
