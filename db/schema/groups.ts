import { sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from './columns';
import { workspaces } from './workspaces';

/** A user group inside a workspace; bindable to roles like a user. */
export const groups = sqliteTable(
  'groups',
  {
    id: id(),
    workspaceId: text()
      .notNull()
      .references(() => workspaces.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('groups_workspace_name_idx').on(t.workspaceId, t.name)],
);
