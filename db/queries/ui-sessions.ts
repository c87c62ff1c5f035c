import { and, eq, gt, isNull } from 'drizzle-orm';
import { sha256Hex } from '../../lib/crypto/hash';
import type { Database } from '../client';
import { refreshTokens } from '../schema';

/** A dashboard session: the live refresh token its cookie refers to. */
export interface UiSessionRow {
  userId: string;
  expiresAt: Date;
  createdAt: Date;
}

/**
 * The user behind a dashboard session cookie, which holds an opaque refresh
 * token: only a token that is neither rotated, revoked nor expired counts,
 * so signing out (revoking the family) or a reuse revocation ends the
 * session at once. Looked up by SHA-256, like every refresh token.
 */
export async function findLiveSession(
  db: Database,
  token: string,
  now: Date,
): Promise<UiSessionRow | undefined> {
  return db
    .select({
      userId: refreshTokens.userId,
      expiresAt: refreshTokens.expiresAt,
      createdAt: refreshTokens.createdAt,
    })
    .from(refreshTokens)
    .where(
      and(
        eq(refreshTokens.tokenHash, await sha256Hex(token)),
        isNull(refreshTokens.rotatedAt),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, now),
      ),
    )
    .get();
}
