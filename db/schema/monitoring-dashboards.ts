import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { createdAt, id, timestamp } from './columns';
import { workspaces } from './workspaces';

/** One saved chart: a PromQL query over a time range. */
export interface MonitoringPanel {
  id: string;
  title: string;
  query: string;
  /** How values read: `percent`, `bytes`, `cores`, `ops`, `seconds` or none. */
  unit?: string;
  /** Lookback such as `1h`, `6h`, `24h`, `7d` (default 1h). */
  range?: string;
}

/**
 * Custom monitoring (issue #15): ordered dashboards of saved panels, either
 * for a cluster (cluster readers) or for one namespace of a workspace in a
 * cluster (namespace members; queries scoped to the namespace when run).
 * `scopeKey` is `cluster:<clusterId>` or `namespace:<clusterId>:<ns>`.
 */
export const monitoringDashboards = sqliteTable(
  'monitoring_dashboards',
  {
    id: id(),
    scopeKey: text().notNull(),
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    workspaceId: text().references(() => workspaces.id, { onDelete: 'cascade' }),
    namespace: text(),
    /** DNS label, unique per scope; the URL's name. */
    name: text().notNull(),
    title: text().notNull(),
    position: integer().notNull().default(0),
    panels: text({ mode: 'json' }).$type<MonitoringPanel[]>().notNull().default([]),
    createdBy: text(),
    createdAt: createdAt(),
    updatedBy: text(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [
    uniqueIndex('monitoring_dashboards_scope_name_idx').on(t.scopeKey, t.name),
    index('monitoring_dashboards_cluster_idx').on(t.clusterId),
    index('monitoring_dashboards_workspace_idx').on(t.workspaceId),
  ],
);
