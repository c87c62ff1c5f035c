import { index, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';
import { users } from './users';

/**
 * Opaque refresh tokens, stored hashed. Each use rotates the token within its
 * family; presenting a rotated token again revokes the whole family.
 */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: id(),
    familyId: text().notNull(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull().unique(),
    expiresAt: timestamp().notNull(),
    /** Set when this token was exchanged for its successor. */
    rotatedAt: timestamp(),
    revokedAt: timestamp(),
    createdAt: createdAt(),
  },
  (t) => [
    index('refresh_tokens_family_idx').on(t.familyId),
    index('refresh_tokens_user_idx').on(t.userId),
  ],
);
