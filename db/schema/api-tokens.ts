import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';
import { users } from './users';

/** Machine tokens acting as their owner; only the SHA-256 of the secret is kept. */
export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: id(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    tokenHash: text().notNull().unique(),
    /** Empty: the owner's full rights. Otherwise `verb:resource` narrowing. */
    scopes: text({ mode: 'json' }).$type<string[]>().notNull().default([]),
    expiresAt: timestamp(),
    lastUsedAt: timestamp(),
    revokedAt: timestamp(),
    createdAt: createdAt(),
  },
  (t) => [index('api_tokens_user_idx').on(t.userId)],
);
