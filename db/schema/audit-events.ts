import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { timestamp } from './columns';

export const auditEvents = sqliteTable(
  'audit_events',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    time: timestamp().notNull(),
    user: text(),
    verb: text().notNull(),
    resource: text().notNull(),
    name: text(),
    workspace: text(),
    cluster: text(),
    namespace: text(),
    outcome: text({ enum: ['success', 'failure', 'denied'] }).notNull(),
    status: integer().notNull(),
    requestId: text().notNull(),
    sourceIp: text(),
    userAgent: text(),
  },
  (t) => [
    index('audit_time_idx').on(t.time),
    index('audit_workspace_time_idx').on(t.workspace, t.time),
    index('audit_user_time_idx').on(t.user, t.time),
  ],
);
