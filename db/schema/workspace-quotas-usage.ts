import { primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { timestamp } from './columns';
import { workspaces } from './workspaces';

/**
 * What a cluster's agent last reported a workspace uses there, in canonical
 * units (cpu millicores, memory bytes, pod count). One row per (workspace,
 * cluster); the edge sums the others' rows into each cluster's
 * `usedElsewhere`.
 */
export const workspaceQuotaUsage = sqliteTable(
  'workspace_quota_usage',
  {
    workspaceId: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    used: text({ mode: 'json' }).$type<Record<string, number>>().notNull(),
    reportedAt: timestamp().notNull(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.clusterId] })],
);
