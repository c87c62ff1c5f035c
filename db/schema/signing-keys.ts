import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, timestamp } from './columns';

/** ES256 keys for access tokens. Private halves are AES-GCM encrypted with SECRETS_KEY. */
export const signingKeys = sqliteTable('signing_keys', {
  kid: text().primaryKey(),
  alg: text().notNull().default('ES256'),
  publicJwk: text({ mode: 'json' }).$type<JsonWebKey>().notNull(),
  privateKeyEncrypted: text().notNull(),
  createdAt: createdAt(),
  /** No longer used to sign; still published until `expiresAt`. */
  retiredAt: timestamp(),
  /** Dropped from the JWKS after this (retirement + longest token lifetime). */
  expiresAt: timestamp(),
});
