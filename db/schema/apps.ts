import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { createdAt, id, timestamp } from './columns';
import { workspaces } from './workspaces';

/**
 * An application delivered to the workspace's clusters (issue #13). `spec`
 * is the JSON of placement, nodes, overrides and rollout; `manifests` the
 * JSON array of objects with every Secret's data sealed (SECRETS_KEY).
 * `deletingAt` marks an app being deleted: it goes once every cluster
 * confirmed or its tombstones expired.
 */
export const apps = sqliteTable(
  'apps',
  {
    id: id(),
    workspaceId: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    namespace: text().notNull(),
    generation: integer().notNull().default(1),
    spec: text({ mode: 'json' }).notNull(),
    manifests: text({ mode: 'json' }).notNull(),
    /** The last editor's identity at edit time (the agent impersonates it). */
    editorUser: text().notNull(),
    editorGroups: text({ mode: 'json' }).$type<string[]>().notNull(),
    /** Set when a staged rollout halted: the generation, the cluster and why. */
    halted: text({ mode: 'json' }).$type<{
      generation: number;
      cluster: string;
      message: string;
    }>(),
    deleteTimeoutSeconds: integer().notNull(),
    deletingAt: timestamp(),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [uniqueIndex('apps_workspace_name_idx').on(t.workspaceId, t.name)],
);

/**
 * The desired and reported state of one app in one cluster. `targetGeneration`
 * is what the edge wants there (it trails the app's generation while a staged
 * rollout has not admitted the cluster; 0 = not yet); `ackedGeneration` what
 * the cluster last said it holds. `removing` rows are tombstones: a
 * delivery-delete is owed until the cluster confirms or `expiresAt` passes.
 * `connectionId` is the tunnel connection the last report came through.
 */
export const appClusters = sqliteTable(
  'app_clusters',
  {
    appId: text()
      .notNull()
      .references(() => apps.id, { onDelete: 'cascade' }),
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    targetGeneration: integer().notNull().default(0),
    admittedAt: timestamp(),
    ackedGeneration: integer().notNull().default(0),
    state: text().notNull().default('pending'),
    observedGeneration: integer().notNull().default(0),
    message: text(),
    resources: text({ mode: 'json' }).notNull().default('[]'),
    connectionId: text(),
    readyAt: timestamp(),
    removing: integer({ mode: 'boolean' }).notNull().default(false),
    expiresAt: timestamp(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.appId, t.clusterId] }),
    index('app_clusters_cluster_idx').on(t.clusterId),
  ],
);

/**
 * The tunnel connection of each cluster's leading agent, as far as delivery
 * knows it (the socket that sent `delivery-state`), removed the moment that
 * socket closes: an app's entry reported through another connection, or with
 * no link at all, reads `unreachable`.
 */
export const deliveryLinks = sqliteTable('delivery_links', {
  clusterId: text()
    .primaryKey()
    .references(() => clusters.id, { onDelete: 'cascade' }),
  connectionId: text().notNull(),
  since: timestamp().notNull(),
});
