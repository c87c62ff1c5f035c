import { spendThisMonth } from '../metering/spend';
import type { SpendSource } from './overview';

/**
 * Where the overview's "this month's spend" comes from: metering's fees
 * over what the caller may read bills of (null until a price was set).
 */
export const overviewSpend: SpendSource = spendThisMonth;
