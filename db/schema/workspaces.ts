import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id } from './columns';

export const workspaces = sqliteTable('workspaces', {
  id: id(),
  name: text().notNull().unique(),
  description: text(),
  createdBy: text(),
  createdAt: createdAt(),
});
