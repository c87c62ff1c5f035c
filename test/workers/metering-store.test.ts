import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { cover } from '../../functions/metering/store-query';
import type { StoreQuery } from '../../functions/metering/store-query-types';
import { hoursAgo, storeQuery, windowOf } from './support/metering';

let seq = 0;
const store = () => env.METERING_STORE.getByName(`cluster:store-test-${seq++}`);

const total = (groups: { periods: number[][] }[], metric = 0) =>
  groups.reduce((sum, g) => sum + g.periods.reduce((s, q) => s + (q[metric] ?? 0), 0), 0);

async function answer(stub: ReturnType<typeof store>, query: Partial<StoreQuery>) {
  const result = await stub.query(storeQuery(query));
  if (!result.ok) throw new Error(result.message);
  return result;
}

describe('MeteringStore ingest', () => {
  it('counts a batch resent with the same (agent, seq) once', async () => {
    const stub = store();
    const t = hoursAgo(30);
    const batch = windowOf(t, 60, [{ pod: 'a' }, { pod: 'b', cores: 2 }]);
    expect(await stub.ingest('agent-1', 1, batch)).toEqual({ duplicate: false });
    expect(await stub.ingest('agent-1', 1, batch)).toEqual({ duplicate: true });
    // Another agent's seq 1 is a different batch (of the next window: the same
    // window from another agent is a hand-over duplicate, metering-handover.test.ts).
    const next = windowOf(t + 60, 60, [{ pod: 'a' }, { pod: 'b', cores: 2 }]);
    expect(await stub.ingest('agent-2', 1, next)).toEqual({ duplicate: false });
    const result = await answer(stub, { start: t, end: t + 120 });
    expect(total(result.groups)).toBe(2 * (60 + 120));
  });

  it('splits a window straddling minutes by time and rolls it up into hours and days', async () => {
    const stub = store();
    const t = hoursAgo(30);
    // 60 s from hh:59:30 to the next hour's 00:30: half in each hour.
    await stub.ingest('a', 1, windowOf(t + 3570, 60, [{ cores: 1 }]));
    await runInDurableObject(stub, (_instance, state) => {
      const sum = (table: string, from: number, to: number) =>
        state.storage.sql
          .exec<{ cpu: number }>(
            `SELECT coalesce(sum(cpu), 0) AS cpu FROM ${table} WHERE t >= ? AND t < ?`,
            from,
            to,
          )
          .one().cpu;
      expect(sum('facts_minute', t + 3540, t + 3600)).toBeCloseTo(30);
      expect(sum('facts_minute', t + 3600, t + 3660)).toBeCloseTo(30);
      expect(sum('facts_hour', t, t + 3600)).toBeCloseTo(30);
      expect(sum('facts_hour', t + 3600, t + 7200)).toBeCloseTo(30);
      expect(sum('facts_day', 0, 2 ** 40)).toBeCloseTo(60);
      expect(state.storage.sql.exec('SELECT count(*) AS n FROM series').one().n).toBe(1);
    });
  });
});

describe('MeteringStore query', () => {
  it('gives the same totals for step 1m, 1h and 1d on a range with ragged edges', async () => {
    const stub = store();
    // Three days of 15-minute windows, two pods.
    const from = hoursAgo(24 * 3 + 5);
    for (let i = 0, t = from; t < from + 3 * 86_400; t += 900, i++)
      await stub.ingest(
        'a',
        i,
        windowOf(t, 900, [{ pod: 'p1' }, { pod: 'p2', cores: 0.5, gib: 3 }]),
      );
    const start = from + 3600 * 7 + 60 * 13;
    const end = from + 86_400 * 2 + 3600 * 5 + 60 * 41;
    const expected = (end - start) * 1.5;
    for (const step of [60, 3600, 86_400, null]) {
      const result = await answer(stub, { start, end, step, maxCells: 10_000 });
      expect(total(result.groups)).toBeCloseTo(expected, 6);
      const fromBuckets = result.groups[0]?.buckets.reduce((s, b) => s + (b.quantities[0] ?? 0), 0);
      expect(fromBuckets).toBeCloseTo(expected, 6);
      expect(total(result.groups, 1)).toBeCloseTo((end - start) * 4 * 1024 ** 3, 0);
    }
  }, 30_000);

  it('covers a range with days in the middle, hours beside them and minutes at the edges', () => {
    const day = 86_400;
    const pieces = cover(day + 3600 + 60, 4 * day + 7200 + 120, day, 0);
    expect(pieces.map((p) => [p.table, p.from, p.to])).toEqual([
      ['facts_minute', day + 3660, day + 7200],
      ['facts_hour', day + 7200, 2 * day],
      ['facts_day', 2 * day, 4 * day],
      ['facts_hour', 4 * day, 4 * day + 7200],
      ['facts_minute', 4 * day + 7200, 4 * day + 7320],
    ]);
  });

  it('groups and filters by each level', async () => {
    const stub = store();
    const t = hoursAgo(10);
    await stub.ingest(
      'a',
      1,
      windowOf(t, 60, [
        { namespace: 'shop', workspace: 'ws-a', node: 'n1', workload: 'web', pod: 'web-1' },
        { namespace: 'shop', workspace: 'ws-a', node: 'n2', workload: 'web', pod: 'web-2' },
        {
          namespace: 'shop',
          workspace: 'ws-a',
          node: 'n2',
          workload: 'db',
          workloadKind: 'StatefulSet',
          pod: 'db-0',
        },
        {
          namespace: 'ops',
          workspace: 'ws-b',
          node: 'n1',
          workload: 'mon',
          workloadKind: 'DaemonSet',
          pod: 'mon-x',
        },
      ]),
    );
    const range = { start: t, end: t + 3600 };
    const byNode = await answer(stub, { ...range, groupBy: ['node'] });
    expect(byNode.groups.map((g) => [g.key.node, total([g])])).toEqual([
      ['n1', 120],
      ['n2', 120],
    ]);
    const byWorkspace = await answer(stub, { ...range, groupBy: ['workspace'] });
    expect(byWorkspace.groups.map((g) => [g.key.workspace, total([g])])).toEqual([
      ['ws-a', 180],
      ['ws-b', 60],
    ]);
    const workloads = await answer(stub, {
      ...range,
      groupBy: ['namespace', 'workloadKind', 'workload'],
      filter: { namespace: 'shop' },
    });
    expect(workloads.groups.map((g) => [g.key.workloadKind, g.key.workload, total([g])])).toEqual([
      ['Deployment', 'web', 120],
      ['StatefulSet', 'db', 60],
    ]);
    const pod = await answer(stub, {
      ...range,
      groupBy: ['pod'],
      filter: { workload: 'web', node: 'n2' },
    });
    expect(pod.groups.map((g) => g.key.pod)).toEqual(['web-2']);
    const tenant = await answer(stub, {
      ...range,
      groupBy: ['namespace'],
      tenant: { workspaces: [{ name: 'ws-b', since: 0 }], namespaces: [] },
    });
    expect(tenant.groups.map((g) => g.key.namespace)).toEqual(['ops']);
    const none = await answer(stub, { ...range, tenant: { workspaces: [], namespaces: [] } });
    expect(none.groups).toEqual([]);
  });

  it('splits quantities at price changes and refuses answers above maxCells', async () => {
    const stub = store();
    const t = hoursAgo(48);
    for (let h = 0; h < 4; h++) await stub.ingest('a', h, windowOf(t + h * 3600, 3600, [{}]));
    const result = await answer(stub, {
      start: t,
      end: t + 4 * 3600,
      priceChanges: [t + 3600 * 3],
    });
    expect(result.groups[0]?.periods.map((q) => q[0])).toEqual([3 * 3600, 3600]);
    const refused = await stub.query(
      storeQuery({ start: t, end: t + 4 * 3600, step: 60, maxCells: 100 }),
    );
    expect(refused).toMatchObject({ ok: false, reason: 'too_many' });
  });
});

describe('MeteringStore retention', () => {
  it('prunes raw minutes after 7 days and hours after 400 on its alarm, keeping days', async () => {
    const stub = store();
    const old = hoursAgo(24 * 10);
    const ancient = hoursAgo(24 * 401);
    const recent = hoursAgo(24);
    // Replayed windows older than raw retention never write minutes at all.
    await stub.ingest('a', 1, windowOf(ancient, 60, [{}]));
    await stub.ingest('a', 2, windowOf(recent, 60, [{}]));
    await runInDurableObject(stub, (_i, state) => {
      // Minutes of a window older than 7 days as if ingested before they aged.
      state.storage.sql.exec(
        'INSERT INTO facts_minute (t, series, cpu, mem, rx, tx, pvc) VALUES (?, 1, 60, 0, 0, 0, 0)',
        old,
      );
    });
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_i, state) => {
      const times = (table: string) =>
        state.storage.sql
          .exec<{ t: number }>(`SELECT t FROM ${table} ORDER BY t`)
          .toArray()
          .map((r) => r.t);
      expect(times('facts_minute')).toEqual([recent]);
      expect(times('facts_hour')).toEqual([recent]);
      expect(times('facts_day')).toHaveLength(2);
    });
    // Ranges before the raw cutoff are answered in whole hours; minute steps there are refused.
    const refused = await stub.query(storeQuery({ start: old, end: old + 3600, step: 60 }));
    expect(refused).toMatchObject({ ok: false, reason: 'too_fine' });
  });

  it('keeps settable retention', async () => {
    const stub = store();
    expect(await stub.retention()).toEqual({ rawDays: 7, hourlyDays: 400, dailyDays: 0 });
    expect(await stub.setRetention({ rawDays: 2, hourlyDays: 30, dailyDays: 800 })).toEqual({
      rawDays: 2,
      hourlyDays: 30,
      dailyDays: 800,
    });
  });
});

describe('MeteringStore: counting from a time on (re-created workspaces, legacy stores)', () => {
  it('counts a workspace, a tenant workspace or namespace, or everything only from its since, at any step', async () => {
    const stub = store();
    const t = hoursAgo(50);
    // Ten hours of one core each for ws-a/web and ws-b/ops.
    for (let h = 0; h < 10; h++)
      await stub.ingest(
        'a',
        h,
        windowOf(t + h * 3600, 3600, [
          { namespace: 'web', workspace: 'ws-a', pod: 'w' },
          { namespace: 'ops', workspace: 'ws-b', pod: 'o' },
        ]),
      );
    const range = { start: t - 1800, end: t + 10 * 3600 + 1800 };
    // From 4 h 30 min in (mid-hour): 5.5 hours of ws-a count.
    const since = t + 4 * 3600 + 1800;
    for (const step of [60, 3600, 86_400, null]) {
      const named = await answer(stub, {
        ...range,
        step,
        filter: { workspace: 'ws-a' },
        workspaceSince: [{ name: 'ws-a', since }],
      });
      expect(total(named.groups), `step ${step}`).toBeCloseTo(5.5 * 3600, 6);
      const tenant = await answer(stub, {
        ...range,
        step,
        tenant: { workspaces: [{ name: 'ws-a', since }], namespaces: [{ name: 'ops', since: 0 }] },
      });
      expect(total(tenant.groups), `step ${step}`).toBeCloseTo(15.5 * 3600, 6);
      const floor = await answer(stub, { ...range, step, since });
      expect(total(floor.groups), `step ${step}`).toBeCloseTo(11 * 3600, 6);
    }
    // A tenant whose every entry starts after the range reads nothing.
    const later = await answer(stub, {
      ...range,
      tenant: { workspaces: [{ name: 'ws-a', since: range.end + 60 }], namespaces: [] },
    });
    expect(later.groups).toEqual([]);
  });

  it('answers queryIfStored empty without creating a store that never held facts', async () => {
    const stub = store();
    const empty = await stub.queryIfStored(storeQuery({ start: 0, end: 3600 }));
    expect(empty).toEqual({ ok: true, start: 0, end: 3600, groups: [] });
    expect(await stub.retentionSetting()).toBeNull();
    const tables = await runInDurableObject(stub, (_i, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray(),
    );
    expect(tables).toEqual([]);
  });

  it('wipes facts, batch ids, settings and the alarm', async () => {
    const stub = store();
    const t = hoursAgo(3);
    await stub.ingest('a', 1, windowOf(t, 60, [{}]));
    await stub.setRetention({ rawDays: 3, hourlyDays: 30, dailyDays: 0 });
    expect(await stub.retentionSetting()).toEqual({ rawDays: 3, hourlyDays: 30, dailyDays: 0 });
    await stub.wipe();
    expect(await stub.retentionSetting()).toBeNull();
    expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(
      (await stub.queryIfStored(storeQuery({ start: t - 60, end: t + 120 }))).ok &&
        (await answer(stub, { start: t - 60, end: t + 120 })).groups,
    ).toEqual([]);
    // A late batch after the wipe starts a new store; the old (agent, seq) is not remembered.
    expect(await stub.ingest('a', 1, windowOf(t, 60, [{}]))).toEqual({ duplicate: false });
  });
});
