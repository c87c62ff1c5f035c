import { sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export const identityProviderTypes = ['ldap', 'oidc', 'oauth2', 'github', 'cas'] as const;
export type IdentityProviderType = (typeof identityProviderTypes)[number];

export const mappingMethods = ['auto', 'lookup', 'mixed'] as const;
export type MappingMethod = (typeof mappingMethods)[number];

/** A configured identity provider (LDAP, OIDC, ...), managed by platform admins. */
export const identityProviders = sqliteTable('identity_providers', {
  id: id(),
  name: text().notNull().unique(),
  type: text({ enum: identityProviderTypes }).notNull(),
  displayName: text(),
  mappingMethod: text({ enum: mappingMethods }).notNull().default('auto'),
  /** JSON of the type's settings without its secret fields. */
  config: text().notNull(),
  /** The secret fields as JSON, sealed with SECRETS_KEY (functions/crypto/secrets.ts). */
  sealedSecrets: text(),
  /** JSON `[{from, workspace, group}]`: provider group -> edgetower group. */
  groupMappings: text().notNull().default('[]'),
  createdAt: createdAt(),
  updatedAt: timestamp(),
});
