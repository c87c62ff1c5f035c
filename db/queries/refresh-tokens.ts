import { and, eq, isNull, lte, or } from 'drizzle-orm';
import { randomToken, sha256Hex } from '../../functions/crypto/hash';
import type { Database } from '../client';
import { refreshTokens } from '../schema';

/** Issues a refresh token (a new family unless `familyId` continues one). Only its SHA-256 is stored. */
export async function issueRefreshToken(
  db: Database,
  input: { userId: string; familyId?: string; ttlSeconds: number; now: Date },
): Promise<string> {
  const token = randomToken('', 32);
  await db.insert(refreshTokens).values({
    userId: input.userId,
    familyId: input.familyId ?? crypto.randomUUID(),
    tokenHash: await sha256Hex(token),
    expiresAt: new Date(input.now.getTime() + input.ttlSeconds * 1000),
    createdAt: input.now,
  });
  return token;
}

export type RefreshResult =
  | { ok: true; userId: string; familyId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

/**
 * Consumes a refresh token: marks it rotated (atomically: of two concurrent
 * uses only one wins) and returns its owner and family, so the caller issues
 * the successor in the same family. Presenting an already rotated token is
 * reuse, a sign of theft: the whole family is revoked.
 */
export async function consumeRefreshToken(
  db: Database,
  token: string,
  now: Date,
): Promise<RefreshResult> {
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
    return { ok: false, reason: 'reused' };
  }
  return { ok: true, userId: row.userId, familyId: row.familyId };
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
