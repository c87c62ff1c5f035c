import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import type { Env } from '../env';
import { fanOut } from './fan-out';
import { MAX_CELLS } from './metering-query';
import { monthStart } from './summary';
import { targetPrices } from './target-prices';
import { resolveTargets } from './targets';

/**
 * This month's fees over everything the principal may read bills of, for
 * the dashboard overview; null until a price was ever set (nothing to
 * charge yet). `workspaces` counts the workspaces with usage this month.
 */
export async function spendThisMonth(
  env: Env,
  db: Database,
  principal: Principal,
  now: Date,
): Promise<{ currency: string; amount: number; workspaces: number } | null> {
  const nowSeconds = Math.floor(now.getTime() / 1000);
  const targets = await resolveTargets(db, principal, 'bills', {});
  const { priceRows, currency } = await targetPrices(db, targets, nowSeconds);
  if (!priceRows.length) return null;
  const start = monthStart(nowSeconds);
  if (nowSeconds <= start) return { currency, amount: 0, workspaces: 0 };
  const answer = await fanOut(
    env,
    targets,
    { groupBy: ['workspace'], filter: {}, start, end: nowSeconds, step: null, maxCells: MAX_CELLS },
    priceRows,
    currency,
  );
  const workspaces = new Set(answer.groups.map((g) => g.key.workspace).filter((w) => w));
  const amount = answer.groups.reduce((sum, g) => sum + g.fees.reduce((a, b) => a + b, 0), 0);
  return { currency, amount, workspaces: workspaces.size };
}
