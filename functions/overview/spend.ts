import type { SpendSource } from './overview';

/**
 * Where the overview's "this month's spend" comes from. Metering's
 * `spendThisMonth` (functions/metering/spend.ts) is not in the tree yet, so
 * the overview reports no spend (null, shown as "no prices yet") until it
 * lands; then this becomes `export { spendThisMonth as overviewSpend }`.
 */
export const overviewSpend: SpendSource = async () => null;
