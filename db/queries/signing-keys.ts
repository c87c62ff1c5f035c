import { and, desc, eq, gt, isNull, lte, ne, or } from 'drizzle-orm';
import type { Database } from '../client';
import { signingKeys } from '../schema';

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/** Keys still published: not retired, or retired but with tokens that may still be valid. Newest first. */
export async function listPublishedSigningKeys(db: Database, now: Date): Promise<SigningKeyRow[]> {
  return db
    .select()
    .from(signingKeys)
    .where(or(isNull(signingKeys.expiresAt), gt(signingKeys.expiresAt, now)))
    .orderBy(desc(signingKeys.createdAt), desc(signingKeys.kid));
}

/** One published key by kid (for a token signed by a key this isolate has not loaded). */
export async function findPublishedSigningKey(
  db: Database,
  kid: string,
  now: Date,
): Promise<SigningKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(signingKeys)
    .where(
      and(
        eq(signingKeys.kid, kid),
        or(isNull(signingKeys.expiresAt), gt(signingKeys.expiresAt, now)),
      ),
    )
    .limit(1);
  return row;
}

export async function insertSigningKey(
  db: Database,
  key: { kid: string; publicJwk: JsonWebKey; privateKeyEncrypted: string; createdAt: Date },
): Promise<void> {
  await db.insert(signingKeys).values({ ...key, alg: 'ES256' });
}

/**
 * Retires every active key but `keepKid` (they stop signing) and publishes
 * them until `expiresAt`, when their last token has expired; then deletes
 * keys past that date. One batch.
 */
export async function retireSigningKeys(
  db: Database,
  keepKid: string,
  now: Date,
  expiresAt: Date,
): Promise<void> {
  await db.batch([
    db
      .update(signingKeys)
      .set({ retiredAt: now, expiresAt })
      .where(and(isNull(signingKeys.retiredAt), ne(signingKeys.kid, keepKid))),
    db.delete(signingKeys).where(lte(signingKeys.expiresAt, now)),
  ]);
}
