import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { insertPrice } from '../../db/queries/metering-prices';
import { auditEvents } from '../../db/schema';
import type { MeteringResponse } from '../../functions/metering/metering-schema';
import { api, type Fixture, seedFixture } from './support/fixture';
import { clusterStore, hoursAgo, predateTenancy, windowOf } from './support/metering';

let fx: Fixture;
const valid = {
  currency: 'EUR',
  cpuPerCoreHour: 0.04,
  memoryPerGiBHour: 0.005,
  ingressPerGiB: 0,
  egressPerGiB: 0.09,
  pvcPerGiBHour: 0.0001,
};
const nextHour = () => Math.ceil(Date.now() / 3_600_000) * 3600;

beforeAll(async () => {
  fx = await seedFixture();
  await predateTenancy();
});

const put = (
  body: unknown,
  query = '',
  persona: 'admin' | 'east-admin' | 'alpha-admin' = 'admin',
) => api('PUT', `/api/v1/metering/prices${query}`, fx.as(persona), body);

describe('PUT /api/v1/metering/prices validation', () => {
  it.each([
    ['a negative price', { ...valid, cpuPerCoreHour: -1 }, 'cpuPerCoreHour must not be negative'],
    ['a string', { ...valid, memoryPerGiBHour: '0.1' }, 'memoryPerGiBHour must be a number'],
    ['null', { ...valid, egressPerGiB: null }, 'egressPerGiB must be a number'],
    ['a missing price', { currency: 'EUR', cpuPerCoreHour: 1 }, 'memoryPerGiBHour'],
    ['lower-case currency', { ...valid, currency: 'eur' }, 'ISO 4217'],
    ['an unknown currency', { ...valid, currency: 'XYZ' }, 'not an ISO 4217 currency'],
    ['an unknown field', { ...valid, gpuPerHour: 1 }, 'gpuPerHour'],
    ['a time in the past', { ...valid, effectiveFrom: nextHour() - 7200 }, 'past'],
    ['a time off the hour', { ...valid, effectiveFrom: nextHour() + 60 }, 'whole UTC hour'],
  ])('refuses %s with a clear 400', async (_what, body, mention) => {
    const res = await put(body);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain(mention);
    expect(res.body).toHaveProperty('requestId');
  });

  it('refuses Infinity (1e999 in JSON) and malformed JSON', async () => {
    const infinite = await put(JSON.stringify(valid).replace('0.04', '1e999'));
    expect(infinite.status).toBe(400);
    expect((infinite.body as { message: string }).message).toContain('cpuPerCoreHour');
    expect((await put('{"currency": ')).status).toBe(400);
  });

  it('lets only platform admins write, and audits every attempt', async () => {
    expect((await put(valid, '', 'east-admin')).status).toBe(403);
    expect((await put(valid, '', 'alpha-admin')).status).toBe(403);
    const ok = await put(valid);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ...valid, effectiveFrom: nextHour(), cluster: null });
    const rows = await createDb(env.DB)
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resource, 'prices'), eq(auditEvents.verb, 'update')));
    expect(rows.map((r) => r.outcome)).toEqual(
      expect.arrayContaining(['success', 'denied', 'failure']),
    );
    expect(rows.find((r) => r.outcome === 'success')?.name).toBe('platform');
  });

  it('takes a cluster override in the platform currency only; unknown clusters are 404', async () => {
    const other = await put({ ...valid, currency: 'USD' }, '?cluster=east');
    expect(other.status).toBe(400);
    expect((other.body as { message: string }).message).toContain('platform currency (EUR)');
    const ok = await put({ ...valid, cpuPerCoreHour: 1 }, '?cluster=east');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ cluster: 'east', cpuPerCoreHour: 1 });
    expect((await put(valid, '?cluster=nowhere')).status).toBe(404);
  });
});

describe('GET /api/v1/metering/prices', () => {
  it('is readable by anyone signed in, with the scope history', async () => {
    const res = await api('GET', '/api/v1/metering/prices', fx.as('regular'));
    expect(res.status).toBe(200);
    // Scheduled from the next hour: nothing in effect yet.
    expect(res.body).toMatchObject({ effectiveFrom: null, cpuPerCoreHour: 0, currency: 'EUR' });
    expect((res.body as { history: unknown[] }).history).toHaveLength(1);
    expect((await api('GET', '/api/v1/metering/prices', {})).status).toBe(401);
    const east = await api('GET', '/api/v1/metering/prices?cluster=east', fx.as('east-viewer'));
    expect(
      (east.body as { history: { cpuPerCoreHour: number }[] }).history.map((h) => h.cpuPerCoreHour),
    ).toEqual([1]);
    expect(
      (await api('GET', '/api/v1/metering/prices?cluster=west', fx.as('east-viewer'))).status,
    ).toBe(404);
  });
});

describe('fees at the price in effect', () => {
  it('prices each hour with the price of its time and overrides per cluster', async () => {
    const db = createDb(env.DB);
    const t = hoursAgo(24 * 3);
    const at = (s: number) => new Date(s * 1000);
    const base = {
      ...valid,
      currency: 'EUR',
      memoryPerGiBHour: 0,
      egressPerGiB: 0,
      pvcPerGiBHour: 0,
    };
    await insertPrice(db, { ...base, clusterId: null, effectiveFrom: at(t), cpuPerCoreHour: 2 });
    await insertPrice(db, {
      ...base,
      clusterId: null,
      effectiveFrom: at(t + 2 * 3600),
      cpuPerCoreHour: 3,
    });
    // west overrides from the third hour on.
    await insertPrice(db, {
      ...base,
      clusterId: fx.ids.clusters.west,
      effectiveFrom: at(t + 3 * 3600),
      cpuPerCoreHour: 10,
    });
    for (const cluster of ['east', 'west'])
      for (let h = 0; h < 4; h++)
        await (await clusterStore(cluster)).ingest(
          'a',
          h,
          windowOf(t + h * 3600, 3600, [
            { namespace: `alpha-${cluster === 'east' ? 'web' : 'db'}`, workspace: 'alpha' },
          ]),
        );
    const feeOf = async (cluster: string, step: string, start = t, end = t + 4 * 3600) => {
      const res = await api(
        'GET',
        `/api/v1/metering?level=cluster&cluster=${cluster}&start=${start}&end=${end}&step=${step}`,
        fx.as('admin'),
      );
      expect(res.status).toBe(200);
      const body = res.body as MeteringResponse;
      expect(body.currency).toBe('EUR');
      return body.items[0]?.metrics.cpu_usage?.fee;
    };
    // 2 h at 2, 2 h at 3.
    expect(await feeOf('east', '1h')).toBeCloseTo(10, 9);
    expect(await feeOf('east', '1d')).toBeCloseTo(10, 9);
    // 2 h at 2, 1 h at 3, 1 h at 10 (the override).
    expect(await feeOf('west', '1d')).toBeCloseTo(17, 9);
    // A ragged range: half of the first hour and a quarter of the last.
    expect(await feeOf('west', '1m', t + 1800, t + 3 * 3600 + 900)).toBeCloseTo(1 + 2 + 3 + 2.5, 9);
  });
});
