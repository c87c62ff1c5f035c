import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { timestamp } from './columns';
import { workspaces } from './workspaces';

/**
 * A workspace's quota: caps on resources summed over its namespaces in
 * every cluster. `hard` keeps the quantities as the caller wrote them
 * (`{"cpu": "4", "memory": "8Gi"}`); `revision` grows on every write.
 */
export const workspaceQuotas = sqliteTable('workspace_quotas', {
  workspaceId: text()
    .primaryKey()
    .references(() => workspaces.id, { onDelete: 'cascade' }),
  hard: text({ mode: 'json' }).$type<Record<string, string>>().notNull(),
  revision: integer().notNull(),
  updatedBy: text(),
  updatedAt: timestamp().notNull(),
});
