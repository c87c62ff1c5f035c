import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm';
import type { Database } from '../client';
import { meteringPrices } from '../schema';

export type PriceRow = typeof meteringPrices.$inferSelect;
export type NewPrice = Omit<typeof meteringPrices.$inferInsert, 'id' | 'createdAt'>;

/**
 * Platform rows and the rows of the given clusters, oldest first. The table
 * stays small (a row per price change), so callers build timelines in memory.
 */
export async function pricesFor(db: Database, clusterIds: string[]): Promise<PriceRow[]> {
  return db
    .select()
    .from(meteringPrices)
    .where(
      clusterIds.length
        ? or(isNull(meteringPrices.clusterId), inArray(meteringPrices.clusterId, clusterIds))
        : isNull(meteringPrices.clusterId),
    )
    .orderBy(asc(meteringPrices.effectiveFrom));
}

/** Adds a price; one at the same scope and effective time is replaced (it has not applied yet). */
export async function insertPrice(db: Database, price: NewPrice): Promise<PriceRow> {
  const sameScope = price.clusterId
    ? eq(meteringPrices.clusterId, price.clusterId)
    : isNull(meteringPrices.clusterId);
  const [, inserted] = await db.batch([
    db
      .delete(meteringPrices)
      .where(and(sameScope, eq(meteringPrices.effectiveFrom, price.effectiveFrom))),
    db.insert(meteringPrices).values(price).returning(),
  ]);
  const row = inserted[0];
  if (!row) throw new Error('insert returned no row');
  return row;
}
