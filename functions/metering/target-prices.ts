import type { Database } from '../../db/client';
import { type PriceRow, pricesFor } from '../../db/queries/metering-prices';
import { currentCurrency } from './price-timeline';
import type { ClusterReach } from './reach';

/**
 * The price rows (platform and per cluster) that apply to the target
 * clusters, and the currency every fee of one answer is quoted in: the
 * platform price's in effect now. Each metering read that fans out to the
 * stores starts here.
 */
export async function targetPrices(
  db: Database,
  targets: ClusterReach[],
  nowSeconds: number,
): Promise<{ priceRows: PriceRow[]; currency: string }> {
  const priceRows = await pricesFor(
    db,
    targets.map((t) => t.clusterId),
  );
  return { priceRows, currency: currentCurrency(priceRows, nowSeconds) };
}
