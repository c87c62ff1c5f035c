import { sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';
import { workspaces } from './workspaces';

export interface PolicyRule {
  verbs: string[];
  resources: string[];
}

/** Custom roles; the built-in ones are defined in code (db/builtin-roles.ts). */
export const roles = sqliteTable(
  'roles',
  {
    id: id(),
    /** Null for platform-level custom roles. */
    workspaceId: text().references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    rules: text({ mode: 'json' }).$type<PolicyRule[]>().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
    updatedAt: timestamp(),
  },
  (t) => [uniqueIndex('roles_workspace_name_idx').on(t.workspaceId, t.name)],
);
