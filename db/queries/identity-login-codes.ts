import { and, eq, gt, isNull, lt } from 'drizzle-orm';
import { sha256Hex } from '../../lib/crypto/hash';
import type { Database } from '../client';
import { identityLoginCodes } from '../schema';

type LoginCodeInput = {
  code: string;
  userId: string;
  redirectUri: string;
  codeChallenge?: string | undefined;
  expiresAt: Date;
};

/**
 * The one-time code's insert, unexecuted (the CLI sign-in batches it with its
 * other writes). Wrapped in an object: an async function returning the query
 * itself would run it, since drizzle queries are thenables.
 */
export async function loginCodeInsert(db: Database, input: LoginCodeInput) {
  const statement = db.insert(identityLoginCodes).values({
    codeHash: await sha256Hex(input.code),
    userId: input.userId,
    redirectUri: input.redirectUri,
    codeChallenge: input.codeChallenge ?? null,
    expiresAt: input.expiresAt,
  });
  return { statement };
}

/** Marks an unexpired, unused code used in one statement; returns it, or undefined (so it works once). */
export async function consumeLoginCode(db: Database, code: string, now: Date) {
  const [row] = await db
    .update(identityLoginCodes)
    .set({ usedAt: now })
    .where(
      and(
        eq(identityLoginCodes.codeHash, await sha256Hex(code)),
        isNull(identityLoginCodes.usedAt),
        gt(identityLoginCodes.expiresAt, now),
      ),
    )
    .returning();
  return row;
}

/** Housekeeping: drops codes past their expiry. */
export async function deleteExpiredLoginCodes(db: Database, now: Date): Promise<void> {
  await db.delete(identityLoginCodes).where(lt(identityLoginCodes.expiresAt, now));
}
