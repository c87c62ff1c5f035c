import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { legacyMeteringStoreOf, meteringStoreName } from '../../functions/metering/store-names';
import { api, type Fixture, seedFixture } from './support/fixture';
import { clusterStore, hoursAgo, predateTenancy, windowOf } from './support/metering';

/**
 * Before stores were keyed by cluster id they were named `cluster:<name>`.
 * An upgraded deployment keeps that history readable: the legacy store is
 * read beside the id-keyed one, from the cluster's registration on only, so
 * facts of a deleted predecessor of the same name never count. Deleting the
 * cluster wipes both.
 */
let fx: Fixture;
const H = 3600;

beforeAll(async () => {
  fx = await seedFixture();
  await predateTenancy();
});

const setClusterCreated = (name: string, at: number) =>
  env.DB.prepare('UPDATE clusters SET created_at = ? WHERE name = ?')
    .bind(at * 1000, name)
    .run();

const cpuHours = async (query: string, persona: 'admin' | 'alpha-viewer' = 'admin') => {
  const res = await api('GET', `/api/v1/metering?${query}`, fx.as(persona));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return (res.body as { items: { metrics: { cpu_usage: { sum: number } } }[] }).items.reduce(
    (n, i) => n + i.metrics.cpu_usage.sum,
    0,
  );
};

describe('legacy name-keyed metering stores', () => {
  it('names id-keyed stores apart from any cluster name', () => {
    expect(meteringStoreName('0b0c7d1e-0000-4000-8000-000000000000')).toBe(
      'cluster-id:0b0c7d1e-0000-4000-8000-000000000000',
    );
  });

  it('reads facts stored under the name from the cluster’s registration on, merged with the new store', async () => {
    const t = hoursAgo(30);
    // east was registered 20 hours before t; a predecessor's fact lies before that.
    await setClusterCreated('east', t - 20 * H);
    const legacy = legacyMeteringStoreOf(env, 'east');
    await legacy.ingest(
      'old',
      1,
      windowOf(t - 30 * H, H, [{ namespace: 'alpha-web', workspace: 'alpha', cores: 7 }]),
    );
    await legacy.ingest(
      'old',
      2,
      windowOf(t, H, [{ namespace: 'alpha-web', workspace: 'alpha', cores: 2 }]),
    );
    await (await clusterStore('east')).ingest(
      'new',
      1,
      windowOf(t + H, H, [{ namespace: 'alpha-web', workspace: 'alpha', cores: 1 }]),
    );
    const range = `start=${t - 40 * H}&end=${t + 3 * H}`;
    for (const step of ['1h', '1d'])
      expect(await cpuHours(`level=cluster&cluster=east&step=${step}&${range}`)).toBeCloseTo(3, 9);
    // Bills and tenants see the same history.
    expect(await cpuHours(`level=namespace&${range}`, 'alpha-viewer')).toBeCloseTo(3, 9);
    const bill = await api('GET', `/api/v1/workspaces/alpha/bill?${range}`, fx.as('alpha-viewer'));
    expect(
      (bill.body as { totals: { quantities: { cpu_usage: number } } }).totals.quantities.cpu_usage,
    ).toBeCloseTo(3, 9);
  });

  it('keeps the retention set before the upgrade, and sets both stores', async () => {
    const legacy = legacyMeteringStoreOf(env, 'east');
    await legacy.setRetention({ rawDays: 5, hourlyDays: 50, dailyDays: 0 });
    const read = await api('GET', '/api/v1/clusters/east/metering/retention', fx.as('admin'));
    expect(read.body).toEqual({ cluster: 'east', rawDays: 5, hourlyDays: 50, dailyDays: 0 });
    const put = await api('PUT', '/api/v1/clusters/east/metering/retention', fx.as('admin'), {
      rawDays: 6,
      hourlyDays: 60,
    });
    expect(put.status).toBe(200);
    expect(await legacy.retentionSetting()).toEqual({ rawDays: 6, hourlyDays: 60, dailyDays: 0 });
    expect(await (await clusterStore('east')).retentionSetting()).toEqual({
      rawDays: 6,
      hourlyDays: 60,
      dailyDays: 0,
    });
  });

  it('never creates a legacy store for a cluster that had none', async () => {
    const t = hoursAgo(5);
    expect(await cpuHours(`level=cluster&cluster=west&start=${t}&end=${t + H}`)).toBe(0);
    expect(await legacyMeteringStoreOf(env, 'west').retentionSetting()).toBeNull();
  });
});
