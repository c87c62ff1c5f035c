import { index, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { createdAt, id } from './columns';
import { workspaces } from './workspaces';

/** A namespace (KubeSphere "project") placed in a workspace, in one cluster. */
export const namespaces = sqliteTable(
  'namespaces',
  {
    id: id(),
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    workspaceId: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    createdBy: text(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('namespaces_cluster_name_idx').on(t.clusterId, t.name),
    index('namespaces_workspace_idx').on(t.workspaceId),
  ],
);
