import { index, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { clusters } from './clusters';
import { createdAt, id, timestamp } from './columns';

/**
 * Metering prices, each in effect from `effectiveFrom` until the next row of
 * the same scope: rows are only ever added, so a price change never rewrites
 * the fees of time already past. `clusterId` null is the platform price;
 * a cluster's rows override it for that cluster.
 */
export const meteringPrices = sqliteTable(
  'metering_prices',
  {
    id: id(),
    clusterId: text().references(() => clusters.id, { onDelete: 'cascade' }),
    /** Always a whole UTC hour, so hourly and daily rollups never straddle two prices. */
    effectiveFrom: timestamp().notNull(),
    /** ISO 4217 code. */
    currency: text().notNull(),
    cpuPerCoreHour: real().notNull(),
    memoryPerGiBHour: real().notNull(),
    ingressPerGiB: real().notNull(),
    egressPerGiB: real().notNull(),
    pvcPerGiBHour: real().notNull(),
    createdBy: text(),
    createdAt: createdAt(),
  },
  (t) => [index('metering_prices_scope_idx').on(t.clusterId, t.effectiveFrom)],
);
