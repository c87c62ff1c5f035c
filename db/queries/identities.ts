import { and, asc, eq, gt, inArray, type SQL, sql } from 'drizzle-orm';
import type { Database } from '../client';
import { groupMembers, groups, identities, users, workspaces } from '../schema';
import { ALREADY_EXISTS, type AlreadyExists, isUniqueViolation } from '../unique';
import type { PageRequest } from './paging';
import { assemblePrincipal, type LoadedPrincipal, principalReads } from './principal';
import type { UserRow } from './users';

export type IdentityRow = typeof identities.$inferSelect;

/** The user linked to (provider, external id), if any. */
export async function findLinkedUser(
  db: Database,
  providerId: string,
  externalId: string,
): Promise<{ identity: IdentityRow; user: UserRow } | undefined> {
  const row = await db
    .select({ identity: identities, user: users })
    .from(identities)
    .innerJoin(users, eq(users.id, identities.userId))
    .where(and(eq(identities.providerId, providerId), eq(identities.externalId, externalId)))
    .get();
  return row ?? undefined;
}

/** Links an identity to a user; ALREADY_EXISTS when that identity is already linked. */
export async function linkIdentity(
  db: Database,
  input: {
    providerId: string;
    externalId: string;
    externalUsername?: string | null;
    userId: string;
  },
): Promise<IdentityRow | AlreadyExists> {
  try {
    const [row] = await db
      .insert(identities)
      .values({ ...input, externalUsername: input.externalUsername?.toLowerCase() ?? null })
      .returning();
    if (!row) throw new Error('insert returned no row');
    return row;
  } catch (error) {
    if (isUniqueViolation(error)) return ALREADY_EXISTS;
    throw error;
  }
}

/**
 * Creates a federated user (no local password) and links the identity, in
 * one batch. Returns undefined when the name is taken, so the caller can
 * try its next candidate.
 */
export async function createFederatedUser(
  db: Database,
  input: {
    name: string;
    email?: string | undefined;
    displayName?: string | undefined;
    providerId: string;
    externalId: string;
    externalUsername: string;
  },
): Promise<{ user: UserRow; identityId: string } | undefined> {
  const userId = crypto.randomUUID();
  const identityId = crypto.randomUUID();
  try {
    const [[user]] = await db.batch([
      db
        .insert(users)
        .values({
          id: userId,
          name: input.name,
          email: input.email ?? null,
          displayName: input.displayName ?? null,
          passwordHash: null,
        })
        .returning(),
      db.insert(identities).values({
        id: identityId,
        providerId: input.providerId,
        externalId: input.externalId,
        externalUsername: input.externalUsername.toLowerCase(),
        userId,
      }),
    ]);
    return user && { user, identityId };
  } catch (error) {
    if (isUniqueViolation(error)) return undefined;
    throw error;
  }
}

export interface IdentityListItem {
  id: string;
  externalId: string;
  externalUsername: string | null;
  user: string;
  lastLoginAt: Date | null;
  createdAt: Date;
}

export async function listIdentities(
  db: Database,
  providerId: string,
  page: PageRequest,
): Promise<IdentityListItem[]> {
  return db
    .select({
      id: identities.id,
      externalId: identities.externalId,
      externalUsername: identities.externalUsername,
      user: users.name,
      lastLoginAt: identities.lastLoginAt,
      createdAt: identities.createdAt,
    })
    .from(identities)
    .innerJoin(users, eq(users.id, identities.userId))
    .where(
      and(
        eq(identities.providerId, providerId),
        page.after === undefined ? undefined : gt(identities.id, page.after),
      ),
    )
    .orderBy(asc(identities.id))
    .limit(page.limit + 1);
}

/** Returns whether a link was removed. */
export async function unlinkIdentity(
  db: Database,
  providerId: string,
  id: string,
): Promise<boolean> {
  const removed = await db
    .delete(identities)
    .where(and(eq(identities.providerId, providerId), eq(identities.id, id)))
    .returning({ id: identities.id });
  return removed.length > 0;
}

/** The ids of groups named by (workspace, group) pairs; unknown pairs are left out. */
export async function findGroupIds(
  db: Database,
  pairs: readonly { workspace: string; group: string }[],
): Promise<{ workspace: string; group: string; id: string }[]> {
  if (pairs.length === 0) return [];
  const rows = await db
    .select({ workspace: workspaces.name, group: groups.name, id: groups.id })
    .from(groups)
    .innerJoin(workspaces, eq(workspaces.id, groups.workspaceId))
    .where(inArray(workspaces.name, [...new Set(pairs.map((p) => p.workspace))]));
  return rows.filter((r) => pairs.some((p) => p.workspace === r.workspace && p.group === r.group));
}

/**
 * Everything a successful federated sign-in writes, unexecuted (one batch,
 * with the refresh token and audit row where the caller has them): the
 * identity's login stamp and current login name, the user's cleared lockout
 * counters and login time, and membership in exactly `wanted` among the
 * `managed` groups (the ones the provider's group mapping names; other
 * memberships are left alone).
 */
export function federatedSignInWrites(
  db: Database,
  input: {
    identityId: string;
    externalUsername: string;
    userId: string;
    now: Date;
    managed: readonly string[];
    wanted: ReadonlySet<string>;
  },
) {
  const { userId, managed, wanted } = input;
  const drop = managed.filter((id) => !wanted.has(id));
  const add = managed.filter((id) => wanted.has(id));
  return [
    db
      .update(identities)
      .set({ lastLoginAt: input.now, externalUsername: input.externalUsername.toLowerCase() })
      .where(eq(identities.id, input.identityId)),
    db
      .update(users)
      .set({
        failedLogins: 0,
        failedLoginWindowStart: null,
        lockedUntil: null,
        lastLoginAt: input.now,
      })
      .where(eq(users.id, userId)),
    ...(drop.length
      ? [
          db
            .delete(groupMembers)
            .where(and(eq(groupMembers.userId, userId), inArray(groupMembers.groupId, drop))),
        ]
      : []),
    ...(add.length
      ? [
          db
            .insert(groupMembers)
            .values(add.map((groupId) => ({ groupId, userId })))
            .onConflictDoNothing(),
        ]
      : []),
  ] as const;
}

export type SignInWrite = ReturnType<typeof federatedSignInWrites>[number];

/** What a sign-in needs of a linked user, read in one batch (see linkedPrincipalWhere). */
export interface LinkedPrincipal {
  identity: IdentityRow;
  user: UserRow;
  loaded: LoadedPrincipal;
  groupIds: string[];
}

/**
 * The identity matching `where` (the first by id), its user and everything
 * a token for them needs (groups, bindings), in ONE batch: the principal's
 * reads follow the link inside SQL, so they need not wait for it.
 */
async function linkedPrincipalWhere(
  db: Database,
  where: SQL,
): Promise<LinkedPrincipal | undefined> {
  const linkedUserId = sql`(select ${identities.userId} from ${identities} where ${where} order by ${identities.id} limit 1)`;
  // Single-table reads rather than a join: D1 batches return rows as
  // objects, so the identity's and the user's same-named columns would collide.
  const [identityRows, userRows, groupRows, bindingRows] = await db.batch([
    db.select().from(identities).where(where).orderBy(asc(identities.id)).limit(1),
    db.select().from(users).where(eq(users.id, linkedUserId)).limit(1),
    ...principalReads(db, linkedUserId),
  ]);
  const [identity] = identityRows;
  const [user] = userRows;
  if (!identity || !user) return undefined;
  return {
    identity,
    user,
    loaded: assemblePrincipal(user, groupRows, bindingRows),
    groupIds: groupRows.map((g) => g.id),
  };
}

/** The user linked to (provider, external id) with their principal (the browser callback's one read). */
export const findLinkedPrincipal = (db: Database, providerId: string, externalId: string) =>
  linkedPrincipalWhere(
    db,
    and(eq(identities.providerId, providerId), eq(identities.externalId, externalId)) ?? sql`0`,
  );

/** The identity last signed in with this login name, with its user's principal (the password grant's one read). */
export const findPrincipalByExternalUsername = (
  db: Database,
  providerId: string,
  externalUsername: string,
) =>
  linkedPrincipalWhere(
    db,
    and(
      eq(identities.providerId, providerId),
      eq(identities.externalUsername, externalUsername.toLowerCase()),
    ) ?? sql`0`,
  );
