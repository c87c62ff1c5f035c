import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { timestamp } from './columns';

/**
 * Password guesses per canonical login name (NFKC, trimmed, lowercased),
 * whatever provider they were aimed at and whether or not the name exists:
 * the lockout's one budget. A row is claimed before each guess is judged.
 */
export const loginThrottles = sqliteTable('login_throttles', {
  key: text().primaryKey(),
  /** Guesses claimed in the current window. */
  attempts: integer().notNull().default(0),
  windowStart: timestamp(),
  lockedUntil: timestamp(),
});
