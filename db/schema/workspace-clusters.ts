import { index, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { createdAt } from './columns';
import { workspaces } from './workspaces';

/**
 * A cluster granted to a workspace (KubeSphere's workspace placement): the
 * workspace's members see the cluster, namespaces of the workspace may be
 * placed in it, and the workspace's roles are projected into it.
 */
export const workspaceClusters = sqliteTable(
  'workspace_clusters',
  {
    workspaceId: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    grantedBy: text(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.workspaceId, t.clusterId] }),
    index('workspace_clusters_cluster_idx').on(t.clusterId),
  ],
);
