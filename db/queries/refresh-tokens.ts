import { and, eq, isNotNull, isNull, lte, or } from 'drizzle-orm';
import { randomToken, sha256Hex } from '../../lib/crypto/hash';
import type { Database } from '../client';
import { refreshTokens } from '../schema';

/**
 * The insert of the first refresh token of a new family (a login), unexecuted
 * so a sign-in can write it in one batch with its other writes. Only the
 * token's SHA-256 is stored.
 */
export async function newRefreshTokenInsert(
  db: Database,
  input: { userId: string; ttlSeconds: number; now: Date },
) {
  const token = randomToken('', 32);
  const statement = db.insert(refreshTokens).values({
    userId: input.userId,
    familyId: crypto.randomUUID(),
    tokenHash: await sha256Hex(token),
    expiresAt: new Date(input.now.getTime() + input.ttlSeconds * 1000),
    createdAt: input.now,
  });
  return { token, statement };
}

export type RefreshResult =
  | { ok: true; userId: string; refreshToken: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }
  | { ok: false; reason: 'reused'; userId: string };

/**
 * Exchanges a refresh token for its successor in the same family. Marking it
 * rotated is atomic, so of two concurrent uses only one wins. Presenting an
 * already rotated token is reuse, a sign of theft: the whole family is
 * revoked, including a successor the winner may be inserting at that moment
 * (the winner re-checks its family after inserting).
 */
export async function rotateRefreshToken(
  db: Database,
  token: string,
  options: { now: Date; ttlSeconds: number },
): Promise<RefreshResult> {
  const { now } = options;
  const row = await db.query.refreshTokens.findFirst({
    where: eq(refreshTokens.tokenHash, await sha256Hex(token)),
  });
  if (!row) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  if (row.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  const claimed = row.rotatedAt
    ? []
    : await db
        .update(refreshTokens)
        .set({ rotatedAt: now })
        .where(
          and(
            eq(refreshTokens.id, row.id),
            isNull(refreshTokens.rotatedAt),
            isNull(refreshTokens.revokedAt),
          ),
        )
        .returning({ id: refreshTokens.id });
  if (claimed.length === 0) {
    await revokeRefreshFamily(db, row.familyId, now);
    return { ok: false, reason: 'reused', userId: row.userId };
  }
  const successor = randomToken('', 32);
  const [, revoked] = await db.batch([
    db.insert(refreshTokens).values({
      userId: row.userId,
      familyId: row.familyId,
      tokenHash: await sha256Hex(successor),
      expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000),
      createdAt: now,
    }),
    db
      .select({ id: refreshTokens.id })
      .from(refreshTokens)
      .where(and(eq(refreshTokens.familyId, row.familyId), isNotNull(refreshTokens.revokedAt)))
      .limit(1),
  ]);
  if (revoked.length > 0) {
    await revokeRefreshFamily(db, row.familyId, now);
    return { ok: false, reason: 'reused', userId: row.userId };
  }
  return { ok: true, userId: row.userId, refreshToken: successor };
}

export async function revokeRefreshFamily(db: Database, familyId: string, now: Date) {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/** Revokes the family of `token` (RFC 7009); false when the token is unknown. */
export async function revokeRefreshToken(db: Database, token: string, now: Date) {
  const row = await db.query.refreshTokens.findFirst({
    where: eq(refreshTokens.tokenHash, await sha256Hex(token)),
    columns: { familyId: true },
  });
  if (!row) return false;
  await revokeRefreshFamily(db, row.familyId, now);
  return true;
}

/** Housekeeping: drops tokens that expired or were revoked/rotated before `before`. */
export async function purgeRefreshTokens(db: Database, before: Date) {
  await db
    .delete(refreshTokens)
    .where(or(lte(refreshTokens.expiresAt, before), lte(refreshTokens.revokedAt, before)));
}
