import { index, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';
import { identityProviders } from './identity-providers';
import { users } from './users';

/** An external identity (provider, external id) linked to an edgetower user; a user may have several. */
export const identities = sqliteTable(
  'identities',
  {
    id: id(),
    providerId: text()
      .notNull()
      .references(() => identityProviders.id, { onDelete: 'cascade' }),
    /** The provider's stable id: LDAP entryUUID (else DN), OIDC `sub`, ... */
    externalId: text().notNull(),
    /** The login name at the provider, lowercased: lets lockout apply before the provider is asked. */
    externalUsername: text(),
    userId: text()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastLoginAt: timestamp(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('identities_provider_external_idx').on(t.providerId, t.externalId),
    index('identities_provider_username_idx').on(t.providerId, t.externalUsername),
    index('identities_user_idx').on(t.userId),
  ],
);
