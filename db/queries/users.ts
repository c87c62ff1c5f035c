import { and, eq, isNull } from 'drizzle-orm';
import { hashPassword } from '../../functions/auth/password';
import { conflict } from '../../functions/errors';
import type { Database } from '../client';
import { type PlatformRole, refreshTokens, users } from '../schema';
import { clearLoginThrottle } from './login-throttles';

export type UserRow = typeof users.$inferSelect;

/** A user as the API shows it: never the hash nor the lockout counters. */
export interface PublicUser {
  id: string;
  name: string;
  email: string | null;
  displayName: string | null;
  platformRole: PlatformRole;
  status: 'active' | 'disabled';
  lastLoginAt: Date | null;
  createdAt: Date;
}

export interface NewUser {
  name: string;
  /** Plain text; hashed here. Check it with checkPasswordPolicy first (not enforced here). */
  password: string;
  email?: string | undefined;
  displayName?: string | undefined;
  platformRole?: PlatformRole | undefined;
}

export function publicUser(row: UserRow): PublicUser {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    displayName: row.displayName,
    platformRole: row.platformRole,
    status: row.status,
    lastLoginAt: row.lastLoginAt,
    createdAt: row.createdAt,
  };
}

/** Whether an error is SQLite's unique-constraint violation (drizzle wraps D1's error). */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if (/UNIQUE constraint failed/i.test(e.message)) return true;
  }
  return false;
}

/** Creates a user with a hashed password; 409 when the name is taken. */
export async function createUser(db: Database, input: NewUser): Promise<PublicUser> {
  const passwordHash = await hashPassword(input.password);
  try {
    const [row] = await db
      .insert(users)
      .values({
        name: input.name,
        passwordHash,
        email: input.email ?? null,
        displayName: input.displayName ?? null,
        platformRole: input.platformRole ?? 'platform-regular',
      })
      .returning();
    if (!row) throw new Error('insert returned no row');
    return publicUser(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`User "${input.name}" already exists.`);
    throw error;
  }
}

export async function findUserByName(db: Database, name: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.name, name) });
}

export async function findUserById(db: Database, id: string): Promise<UserRow | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, id) });
}

export async function hasAnyUser(db: Database): Promise<boolean> {
  const row = await db.select({ id: users.id }).from(users).limit(1);
  return row.length > 0;
}

/**
 * Replaces a user's password (hashing it), clears any lockout (the user
 * row's and, given its key, the name's login throttle) and revokes the
 * user's refresh tokens, so sessions started with the old password end
 * within one access-token lifetime.
 */
export async function setUserPassword(
  db: Database,
  userId: string,
  password: string,
  lockoutKey?: string,
) {
  const now = new Date();
  const writes = [
    db
      .update(users)
      .set({
        passwordHash: await hashPassword(password),
        failedLogins: 0,
        failedLoginWindowStart: null,
        lockedUntil: null,
        updatedAt: now,
      })
      .where(eq(users.id, userId)),
    db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt))),
  ] as const;
  await (lockoutKey === undefined
    ? db.batch(writes)
    : db.batch([...writes, clearLoginThrottle(db, lockoutKey)]));
}

/** Clears the failure count and stamps the login time. */
export async function recordSuccessfulLogin(db: Database, userId: string, now: Date) {
  await db
    .update(users)
    .set({ failedLogins: 0, failedLoginWindowStart: null, lockedUntil: null, lastLoginAt: now })
    .where(eq(users.id, userId));
}
