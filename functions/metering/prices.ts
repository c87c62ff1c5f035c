import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { insertPrice, type PriceRow, pricesFor } from '../../db/queries/metering-prices';
import { clusterAccess } from '../clusters/access';
import { badRequest, forbidden } from '../errors';
import { can, platformScope } from '../iam/authorize';
import type { PriceInput, PriceView } from './price-schema';
import { currentCurrency } from './price-timeline';
import { ceilTo, HOUR } from './time-params';

const toView = (row: PriceRow, cluster: string | null): PriceView => ({
  currency: row.currency,
  cpuPerCoreHour: row.cpuPerCoreHour,
  memoryPerGiBHour: row.memoryPerGiBHour,
  ingressPerGiB: row.ingressPerGiB,
  egressPerGiB: row.egressPerGiB,
  pvcPerGiBHour: row.pvcPerGiBHour,
  effectiveFrom: row.effectiveFrom.getTime() / 1000,
  cluster,
});

const unset = (currency: string, cluster: string | null): PriceView => ({
  currency,
  cpuPerCoreHour: 0,
  memoryPerGiBHour: 0,
  ingressPerGiB: 0,
  egressPerGiB: 0,
  pvcPerGiBHour: 0,
  effectiveFrom: null,
  cluster,
});

/**
 * The price in effect now for the platform or a cluster (its override, else
 * the platform's), with that scope's whole history (scheduled rows too).
 */
export async function readPrices(
  db: Database,
  principal: Principal,
  clusterName: string | undefined,
  now: number,
) {
  const cluster =
    clusterName === undefined ? null : (await clusterAccess(db, principal, clusterName)).cluster;
  const rows = await pricesFor(db, cluster ? [cluster.id] : []);
  const own = rows.filter((r) => r.clusterId === (cluster?.id ?? null));
  const platform = rows.filter((r) => r.clusterId === null);
  const inEffect = (list: PriceRow[]) =>
    list.filter((r) => r.effectiveFrom.getTime() / 1000 <= now).at(-1);
  const current = inEffect(own) ?? inEffect(platform);
  const name = cluster?.name ?? null;
  const view = current
    ? toView(current, current.clusterId ? name : null)
    : unset(currentCurrency(rows, now), null);
  return { ...view, history: own.map((r) => toView(r, name)) };
}

/**
 * Adds a price from a whole UTC hour that is not past: hourly and daily
 * rollups then never straddle two prices, and fees already accrued keep
 * the price they accrued at.
 */
export async function writePrice(
  db: Database,
  principal: Principal,
  clusterName: string | undefined,
  input: PriceInput,
  now: number,
): Promise<PriceView> {
  if (!can(principal, 'update', 'metering', platformScope))
    throw forbidden('Only platform admins set metering prices.');
  const cluster =
    clusterName === undefined ? null : (await clusterAccess(db, principal, clusterName)).cluster;
  const effectiveFrom = input.effectiveFrom ?? ceilTo(now, HOUR);
  if (effectiveFrom % HOUR !== 0)
    throw badRequest('effectiveFrom must be a whole UTC hour (prices apply per hourly bucket).', [
      { path: 'effectiveFrom', message: 'not a whole hour' },
    ]);
  if (effectiveFrom < now)
    throw badRequest(
      'effectiveFrom is in the past: a price change never rewrites fees already accrued.',
      [{ path: 'effectiveFrom', message: 'in the past' }],
    );
  if (cluster) {
    const rows = await pricesFor(db, []);
    const platformCurrency = currentCurrency(rows, effectiveFrom);
    if (rows.length && input.currency !== platformCurrency)
      throw badRequest(
        `A cluster override must be in the platform currency (${platformCurrency}), so bills across clusters add up.`,
        [{ path: 'currency', message: `not ${platformCurrency}` }],
      );
  }
  const { effectiveFrom: _ignored, ...prices } = input;
  const row = await insertPrice(db, {
    ...prices,
    clusterId: cluster?.id ?? null,
    effectiveFrom: new Date(effectiveFrom * 1000),
    createdBy: principal.username,
  });
  return toView(row, cluster?.name ?? null);
}
