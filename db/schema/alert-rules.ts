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
 * Alerting rules defined at the edge (issue #15) at one of three levels:
 * `fleet` (platform admins; `clusterSelector` picks the clusters),
 * `cluster` (one cluster), `namespace` (one namespace of one cluster, owned
 * by a workspace; `expr` as written, evaluated scoped to the namespace).
 * `scopeKey` names the level and its target (`fleet`, `cluster:<id>`,
 * `namespace:<clusterId>:<ns>:<workspaceId>`: a namespace re-placed in another
 * workspace starts without the old owner's rules) so a name is unique per target whatever
 * the level (SQLite's NULLs would not be).
 */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: id(),
    level: text({ enum: ['fleet', 'cluster', 'namespace'] }).notNull(),
    scopeKey: text().notNull(),
    clusterId: text().references(() => clusters.id, { onDelete: 'cascade' }),
    workspaceId: text().references(() => workspaces.id, { onDelete: 'cascade' }),
    namespace: text(),
    /** Fleet rules: cluster labels that must all match (empty: every cluster). */
    clusterSelector: text({ mode: 'json' }).$type<Record<string, string>>(),
    name: text().notNull(),
    /** The Prometheus rule group it belongs to (import/export keeps groups). */
    groupName: text().notNull().default('default'),
    intervalSeconds: integer().notNull().default(60),
    expr: text().notNull(),
    forSeconds: integer().notNull().default(0),
    keepFiringForSeconds: integer().notNull().default(0),
    severity: text({ enum: ['critical', 'warning', 'info'] }).notNull(),
    labels: text({ mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    annotations: text({ mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
    disabled: integer({ mode: 'boolean' }).notNull().default(false),
    createdBy: text(),
    createdAt: createdAt(),
    updatedBy: text(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [
    uniqueIndex('alert_rules_scope_name_idx').on(t.scopeKey, t.name),
    index('alert_rules_cluster_idx').on(t.clusterId),
    index('alert_rules_workspace_idx').on(t.workspaceId),
  ],
);

/**
 * A cluster's settings for one built-in rule (all built-ins are on by
 * default; no row means the documented defaults). `threshold` replaces the
 * rule's documented threshold where it has one.
 */
export const builtinRuleSettings = sqliteTable(
  'builtin_rule_settings',
  {
    clusterId: text()
      .notNull()
      .references(() => clusters.id, { onDelete: 'cascade' }),
    rule: text().notNull(),
    disabled: integer({ mode: 'boolean' }).notNull().default(false),
    forSeconds: integer(),
    threshold: text(),
    severity: text({ enum: ['critical', 'warning', 'info'] }),
    updatedBy: text(),
    updatedAt: timestamp().notNull(),
  },
  (t) => [primaryKey({ columns: [t.clusterId, t.rule] })],
);
