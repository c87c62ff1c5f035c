import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { createdAt, id, timestamp } from './columns';

export const platformRoles = [
  'platform-admin',
  'platform-regular',
  'users-manager',
  'workspaces-manager',
] as const;
export type PlatformRole = (typeof platformRoles)[number];

export const users = sqliteTable(
  'users',
  {
    id: id(),
    name: text().notNull().unique(),
    email: text(),
    displayName: text(),
    /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>`; null for federated-only users. */
    passwordHash: text(),
    platformRole: text({ enum: platformRoles }).notNull().default('platform-regular'),
    status: text({ enum: ['active', 'disabled'] })
      .notNull()
      .default('active'),
    /** Failed logins inside the current window, for lockout. */
    failedLogins: integer().notNull().default(0),
    failedLoginWindowStart: timestamp(),
    lockedUntil: timestamp(),
    lastLoginAt: timestamp(),
    createdAt: createdAt(),
    updatedAt: timestamp(),
  },
  (t) => [index('users_email_idx').on(t.email)],
);
