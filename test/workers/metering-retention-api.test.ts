import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { auditEvents } from '../../db/schema';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { clusterStore, hoursAgo, windowOf } from './support/metering';

/**
 * GET/PUT /api/v1/clusters/:c/metering/retention: validated day ranges,
 * written by platform and cluster admins, read by cluster-wide readers,
 * 404 for a cluster the caller cannot see, audited, and applied by the
 * store's own prune.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const path = (cluster: string) => `/api/v1/clusters/${cluster}/metering/retention`;
const get = (cluster: string, persona: Persona) => api('GET', path(cluster), fx.as(persona));
const put = (cluster: string, persona: Persona, body: unknown) =>
  api('PUT', path(cluster), fx.as(persona), body);
const message = (body: unknown) => (body as { message: string }).message;

describe('metering retention validation', () => {
  it.each([
    ['rawDays 0', { rawDays: 0, hourlyDays: 400 }, 'rawDays must be at least 1'],
    ['rawDays above 90', { rawDays: 91, hourlyDays: 400 }, 'rawDays must be at most 90'],
    ['a fraction', { rawDays: 1.5, hourlyDays: 400 }, 'rawDays must be a whole number'],
    ['a string', { rawDays: '7', hourlyDays: 400 }, 'rawDays must be a whole number'],
    ['a negative hourly', { rawDays: 7, hourlyDays: -1 }, 'hourlyDays must be at least 0'],
    ['hours shorter than raw', { rawDays: 30, hourlyDays: 10 }, 'at least rawDays'],
    [
      'days shorter than hours',
      { rawDays: 7, hourlyDays: 400, dailyDays: 100 },
      'at least hourlyDays',
    ],
    ['finite days after forever hours', { rawDays: 7, hourlyDays: 0, dailyDays: 900 }, 'dailyDays'],
    ['a missing field', { rawDays: 7 }, 'hourlyDays'],
    ['an unknown field', { rawDays: 7, hourlyDays: 400, weeks: 1 }, 'weeks'],
  ])('refuses %s with 400 naming the field', async (_what, body, expected) => {
    const res = await put('east', 'admin', body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
    expect(message(res.body)).toContain(expected);
  });

  it('refuses a body that is not JSON with 400 or 415, never 500', async () => {
    const bad = await put('east', 'admin', '{"rawDays": ');
    expect(bad.status).toBe(400);
    const res = await api(
      'PUT',
      path('east'),
      { ...fx.as('admin'), 'content-type': 'text/plain' },
      'x',
    );
    expect(res.status).toBe(415);
  });
});

describe('metering retention tenancy', () => {
  it('platform admins and the cluster admin write; the cluster viewer reads', async () => {
    const before = await get('east', 'east-viewer');
    expect(before).toMatchObject({
      status: 200,
      body: { cluster: 'east', rawDays: 7, hourlyDays: 400, dailyDays: 0 },
    });
    const byAdmin = await put('east', 'east-admin', {
      rawDays: 14,
      hourlyDays: 800,
      dailyDays: 2000,
    });
    expect(byAdmin).toMatchObject({
      status: 200,
      body: { cluster: 'east', rawDays: 14, hourlyDays: 800, dailyDays: 2000 },
    });
    expect((await get('east', 'east-viewer')).body).toEqual(byAdmin.body);
    // Omitted dailyDays keeps daily facts forever.
    const byPlatform = await put('east', 'p-admin', { rawDays: 3, hourlyDays: 30 });
    expect(byPlatform.body).toEqual({ cluster: 'east', rawDays: 3, hourlyDays: 30, dailyDays: 0 });
    expect((await get('east', 'admin')).body).toEqual(byPlatform.body);
  });

  it('the cluster viewer may not write (403); another cluster is theirs to neither read nor see', async () => {
    expect((await put('east', 'east-viewer', { rawDays: 1, hourlyDays: 1 })).status).toBe(403);
    // east-admin holds no role in west: it is not visible at all.
    expect((await get('west', 'east-admin')).status).toBe(404);
    expect((await put('west', 'east-admin', { rawDays: 1, hourlyDays: 1 })).status).toBe(404);
    expect((await get('nowhere', 'admin')).status).toBe(404);
  });

  it('workspace members see the cluster but not its retention (403); outsiders get 404', async () => {
    // alpha has a namespace in east: alpha-admin knows east exists.
    expect((await get('east', 'alpha-admin')).status).toBe(403);
    expect((await put('east', 'alpha-admin', { rawDays: 1, hourlyDays: 1 })).status).toBe(403);
    expect((await put('east', 'regular', { rawDays: 1, hourlyDays: 1 })).status).toBe(404);
  });

  it('audits every write, refused ones too', async () => {
    await put('west', 'admin', { rawDays: 7, hourlyDays: 400 });
    await put('west', 'admin', { rawDays: 0, hourlyDays: 400 });
    const rows = await createDb(env.DB)
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.resource, 'retention'), eq(auditEvents.cluster, 'west')));
    expect(rows.map((r) => [r.outcome, r.status, r.verb])).toEqual(
      expect.arrayContaining([
        ['success', 200, 'update'],
        ['failure', 400, 'update'],
      ]),
    );
  });
});

describe('metering retention in the API doc', () => {
  it('is documented in /openapi.json with both methods', async () => {
    const res = await api('GET', '/openapi.json', {});
    const paths = (res.body as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths['/api/v1/clusters/{c}/metering/retention'] ?? {}).sort()).toEqual([
      'get',
      'put',
    ]);
  });
});

describe('metering retention in the store', () => {
  it("the store's alarm prunes minute facts by the retention set through the API", async () => {
    const store = await clusterStore('west');
    const twoDaysAgo = hoursAgo(50);
    const recent = hoursAgo(1);
    await store.ingest('retention-agent', 1, windowOf(twoDaysAgo, 60, [{}]));
    await store.ingest('retention-agent', 2, windowOf(recent, 60, [{}]));
    expect((await put('west', 'admin', { rawDays: 1, hourlyDays: 30 })).status).toBe(200);
    expect(await runDurableObjectAlarm(store)).toBe(true);
    await runInDurableObject(store, (_instance, state) => {
      const minutes = state.storage.sql
        .exec<{ t: number }>('SELECT DISTINCT t FROM facts_minute ORDER BY t')
        .toArray()
        .map((r) => r.t);
      expect(minutes).toEqual([recent]);
      const hours = state.storage.sql.exec('SELECT DISTINCT t FROM facts_hour').toArray();
      expect(hours).toHaveLength(2);
    });
  });
});
