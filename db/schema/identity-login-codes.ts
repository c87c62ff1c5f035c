import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, timestamp } from './columns';
import { users } from './users';

/**
 * One-time codes a browser sign-in hands to a CLI on its loopback
 * redirect_uri (RFC 8252), exchanged once at /oauth/token.
 */
export const identityLoginCodes = sqliteTable('identity_login_codes', {
  /** SHA-256 of the code; the code itself is never stored. */
  codeHash: text().primaryKey(),
  userId: text()
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  redirectUri: text().notNull(),
  /** The CLI's PKCE S256 challenge, when it sent one. */
  codeChallenge: text(),
  expiresAt: timestamp().notNull(),
  usedAt: timestamp(),
  createdAt: createdAt(),
});
