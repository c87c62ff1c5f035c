import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import type { Principal } from '../../db/principal';
import { insertPrice } from '../../db/queries/metering-prices';
import { loadPrincipal } from '../../db/queries/principal';
import type { Bill } from '../../functions/metering/bill-schema';
import { csvField } from '../../functions/metering/csv';
import { spendThisMonth } from '../../functions/metering/spend';
import { monthStart } from '../../functions/metering/summary';
import type { MeteringSummary } from '../../functions/metering/summary-schema';
import { parseCsv } from './support/csv';
import { api, type Fixture, fetchWorker, type Persona, seedFixture } from './support/fixture';
import { clusterStore, hoursAgo, predateTenancy, windowOf } from './support/metering';

let fx: Fixture;
const now = Math.floor(Date.now() / 1000);
/** One-hour windows: recent, 20 and 40 days back (this month or last, depending on today). */
const times = [hoursAgo(2), hoursAgo(24 * 20), hoursAgo(24 * 40)];
const CPU_PRICE = 2;
const MEM_PRICE = 0.5;
/** Cores per namespace; each pod has 1 GiB too. */
const cores: Record<string, number> = {
  'alpha-web': 1,
  'alpha-db': 2,
  'beta-web': 4,
  'beta-db': 8,
};
const clusterOf: Record<string, string> = {
  'alpha-web': 'east',
  'beta-web': 'east',
  'alpha-db': 'west',
  'beta-db': 'west',
};
const feePerHour = (ns: string) => (cores[ns] ?? 0) * CPU_PRICE + MEM_PRICE;

beforeAll(async () => {
  fx = await seedFixture();
  await predateTenancy();
  const db = createDb(env.DB);
  await insertPrice(db, {
    clusterId: null,
    effectiveFrom: new Date((hoursAgo(24 * 80) - (hoursAgo(24 * 80) % 86_400)) * 1000),
    currency: 'EUR',
    cpuPerCoreHour: CPU_PRICE,
    memoryPerGiBHour: MEM_PRICE,
    ingressPerGiB: 0,
    egressPerGiB: 0,
    pvcPerGiBHour: 0,
  });
  let seq = 0;
  for (const t of times)
    for (const [namespace, n] of Object.entries(cores)) {
      const workspace = namespace.split('-')[0];
      const pods = [
        { namespace, workspace, workload: 'app', pod: `app-${seq}`, cores: n, pvcByteSeconds: 0 },
      ];
      // A Job that ran only 40 days ago and is long gone: still on the bill.
      if (t === times[2] && namespace === 'alpha-web')
        pods.push({
          namespace,
          workspace,
          workload: 'old-job',
          pod: 'old-job-x',
          cores: 0,
          pvcByteSeconds: 0,
        });
      await (await clusterStore(clusterOf[namespace] ?? '')).ingest(
        'agent',
        seq++,
        windowOf(
          t,
          3600,
          pods.map((p) => ({
            ...p,
            workloadKind: p.workload === 'old-job' ? ('Job' as const) : ('Deployment' as const),
          })),
        ),
      );
    }
});

const bill = async (persona: Persona, ws: string, query: string) =>
  api('GET', `/api/v1/workspaces/${ws}/bill?${query}`, fx.as(persona));
const everything = `start=${times[2]}&end=${now}`;

describe('GET /api/v1/workspaces/:ws/bill', () => {
  it('bills per namespace across clusters, with quantities and fees per metric', async () => {
    const { status, body } = await bill('alpha-viewer', 'alpha', `${everything}&groupBy=namespace`);
    expect(status).toBe(200);
    const b = body as Bill;
    expect(b).toMatchObject({ workspace: 'alpha', groupBy: 'namespace', currency: 'EUR' });
    expect(b.rows.map((r) => [r.cluster, r.namespace])).toEqual([
      ['east', 'alpha-web'],
      ['west', 'alpha-db'],
    ]);
    const web = b.rows[0];
    // Three hours; the old job adds 1 GiB for an hour.
    expect(web?.quantities.cpu_usage).toBeCloseTo(3, 9);
    expect(web?.quantities.memory_usage).toBeCloseTo(4, 9);
    expect(web?.fees.cpu_usage).toBeCloseTo(3 * CPU_PRICE, 9);
    expect(web?.fee).toBeCloseTo(3 * feePerHour('alpha-web') + MEM_PRICE, 9);
    expect(b.totals.fee).toBeCloseTo(
      3 * (feePerHour('alpha-web') + feePerHour('alpha-db')) + MEM_PRICE,
      9,
    );
    expect(b.units).toMatchObject({ cpu_usage: 'core-hours', net_bytes_received: 'GiB' });
  });

  it('lists workloads that no longer exist, and groups per cluster', async () => {
    const workloads = (await bill('alpha-admin', 'alpha', `${everything}&groupBy=workload`))
      .body as Bill;
    expect(
      workloads.rows.map((r) => `${r.cluster}/${r.namespace}/${r.workloadKind}/${r.workload}`),
    ).toEqual([
      'east/alpha-web/Deployment/app',
      'east/alpha-web/Job/old-job',
      'west/alpha-db/Deployment/app',
    ]);
    const perCluster = (await bill('admin', 'beta', `${everything}&groupBy=cluster`)).body as Bill;
    expect(perCluster.rows.map((r) => [r.cluster, Number(r.fee.toFixed(9))])).toEqual([
      ['east', 3 * feePerHour('beta-web')],
      ['west', 3 * feePerHour('beta-db')],
    ]);
  });

  it('exports RFC 4180 CSV with a header row, as an attachment', async () => {
    const res = await fetchWorker(
      `/api/v1/workspaces/alpha/bill?${everything}&groupBy=workload&format=csv`,
      {
        headers: fx.as('alpha-viewer'),
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename="bill-alpha-\d{4}-\d\d-\d\d-\d{4}-\d\d-\d\d\.csv"$/,
    );
    const records = parseCsv(await res.text());
    expect(records[0]).toEqual([
      'cluster',
      'namespace',
      'workloadKind',
      'workload',
      'cpu_usage (core-hours)',
      'cpu_usage fee (EUR)',
      'memory_usage (GiB-hours)',
      'memory_usage fee (EUR)',
      'net_bytes_received (GiB)',
      'net_bytes_received fee (EUR)',
      'net_bytes_transmitted (GiB)',
      'net_bytes_transmitted fee (EUR)',
      'pvc_bytes_total (GiB-hours)',
      'pvc_bytes_total fee (EUR)',
      'fee (EUR)',
    ]);
    expect(records).toHaveLength(1 + 3 + 1);
    expect(records.every((r) => r.length === 15)).toBe(true);
    expect(records[2]?.slice(0, 4)).toEqual(['east', 'alpha-web', 'Job', 'old-job']);
    expect(Number(records[1]?.[4])).toBeCloseTo(3, 9);
    expect(records.at(-1)?.[0]).toBe('total');
    const json = (await bill('alpha-viewer', 'alpha', `${everything}&groupBy=workload`))
      .body as Bill;
    expect(Number(records.at(-1)?.[14])).toBeCloseTo(json.totals.fee, 9);
  });

  it('quotes fields with commas, quotes and line breaks', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(parseCsv(`${['a,b', 'say "hi"', 'x'].map(csvField).join(',')}\r\n`)).toEqual([
      ['a,b', 'say "hi"', 'x'],
    ]);
  });

  it("answers 404 for another tenant's bill and 403 without bill rights", async () => {
    expect((await bill('alpha-viewer', 'beta', everything)).status).toBe(404);
    expect((await bill('beta-admin', 'alpha', `${everything}&format=csv`)).status).toBe(404);
    expect((await bill('alpha-viewer', 'nowhere', everything)).status).toBe(404);
    expect((await bill('alpha-regular', 'alpha', everything)).status).toBe(403);
  });

  it.each([
    ['groupBy=pod', 'groupBy'],
    ['format=xml', 'format'],
    [`start=${now}&end=${now - 10}`, 'end must be after start'],
    ['start=0&end=100000000', 'at most 400 days'],
  ])('refuses %s with a 400', async (query, mention) => {
    const res = await bill('admin', 'alpha', query);
    expect(res.status).toBe(400);
    expect((res.body as { message: string }).message).toContain(mention);
  });
});

describe('GET /api/v1/workspaces/:ws/metering/summary', () => {
  it('gives this month, last month, top namespaces and a 30-day trend in one call', async () => {
    const res = await api('GET', '/api/v1/workspaces/beta/metering/summary', fx.as('beta-viewer'));
    expect(res.status).toBe(200);
    const s = res.body as MeteringSummary;
    const thisMonth = monthStart(now);
    const lastMonth = monthStart(now, -1);
    const hoursIn = (from: number, to: number) => times.filter((t) => t >= from && t < to).length;
    const perHour = feePerHour('beta-web') + feePerHour('beta-db');
    expect(s.currency).toBe('EUR');
    expect(s.thisMonth.amount).toBeCloseTo(hoursIn(thisMonth, now) * perHour, 6);
    expect(s.lastMonth.amount).toBeCloseTo(hoursIn(lastMonth, thisMonth) * perHour, 6);
    expect(s.thisMonth.quantities.cpu_usage).toBeCloseTo(hoursIn(thisMonth, now) * 12, 6);
    // (Empty in the first two hours of a month, when no window of the fixture falls in it.)
    expect(s.topNamespaces.map((n) => n.namespace)).toEqual(
      hoursIn(thisMonth, now) ? ['beta-db', 'beta-web'] : [],
    );
    expect(s.trend).toHaveLength(30);
    const trendTotal = s.trend.reduce((sum, [, v]) => sum + v, 0);
    expect(trendTotal).toBeCloseTo(hoursIn(s.trend[0]?.[0] ?? 0, now) * perHour, 6);
    expect(
      (await api('GET', '/api/v1/workspaces/beta/metering/summary', fx.as('alpha-viewer'))).status,
    ).toBe(404);
  });
});

describe('spendThisMonth', () => {
  const principalOf = async (persona: Persona): Promise<Principal> => {
    const loaded = await loadPrincipal(createDb(env.DB), fx.ids.users[persona]);
    if (!loaded) throw new Error(`no principal for ${persona}`);
    return { ...loaded.principal, via: 'access-token', scopes: [] };
  };
  it('sums this month over what the caller may see', async () => {
    const db = createDb(env.DB);
    const recentHours = times.filter((t) => t >= monthStart(now)).length;
    const all = await spendThisMonth(env, db, await principalOf('admin'), new Date(now * 1000));
    const total = Object.keys(cores).reduce((s, ns) => s + feePerHour(ns), 0);
    expect(all?.currency).toBe('EUR');
    expect(all?.amount).toBeCloseTo(recentHours * total, 6);
    expect(all?.workspaces).toBe(recentHours ? 2 : 0);
    const alpha = await spendThisMonth(
      env,
      db,
      await principalOf('alpha-viewer'),
      new Date(now * 1000),
    );
    expect(alpha?.amount).toBeCloseTo(
      recentHours * (feePerHour('alpha-web') + feePerHour('alpha-db')),
      6,
    );
    expect(alpha?.workspaces).toBe(recentHours ? 1 : 0);
  });
});
