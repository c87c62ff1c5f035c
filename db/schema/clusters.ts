import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export const clusters = sqliteTable('clusters', {
  id: id(),
  name: text().notNull().unique(),
  description: text(),
  /** JSON object of string labels. */
  labels: text({ mode: 'json' }).$type<Record<string, string>>().notNull().default({}),
  /** SHA-256 (hex) of the agents' join token; the token itself is never stored. */
  joinTokenHash: text().unique(),
  joinTokenRotatedAt: timestamp(),
  createdBy: text(),
  createdAt: createdAt(),
});
