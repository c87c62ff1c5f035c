import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RESOLVED_KEEP } from '../../functions/alerting/alert-groups';
import { route, routed } from './support/alerts';
import { api, type Fixture, type Persona, passwordOf, seedFixture } from './support/fixture';
import { Browser } from './support/ui-browser';

const T0 = Date.parse('2036-11-26T10:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

let shardSeq = 0;
const shard = () => env.ALERT_GROUPS.getByName(`resolved-shard-${shardSeq++}`);
const storedCount = (stub: ReturnType<typeof shard>) =>
  runInDurableObject(stub, (_instance, state) => {
    const row = state.storage.sql.exec('SELECT COUNT(*) AS n FROM alerts').one();
    return Number(row.n);
  });

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});
beforeEach(() => {
  vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockResolvedValue({
    metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } },
  });
});
afterEach(() => vi.restoreAllMocks());

describe('AlertGroups: recently resolved alerts', () => {
  it('keeps a resolved alert out of the live list and in the resolved one, with its start and end', async () => {
    const stub = shard();
    await stub.ingest([routed({ alertname: 'Gone' }, { startsAt: T0, endsAt: T0 + DAY })], T0);
    await stub.ingest(
      [routed({ alertname: 'Gone' }, { startsAt: T0, endsAt: T0 + 10 * MINUTE })],
      T0 + 10 * MINUTE,
    );
    await stub.ingest(
      [routed({ alertname: 'Still' }, { startsAt: T0, endsAt: T0 + 2 * DAY })],
      T0 + 10 * MINUTE,
    );
    const now = T0 + 20 * MINUTE;
    expect((await stub.listAlerts([], now, [])).map((a) => a.labels.alertname)).toEqual(['Still']);
    const resolved = await stub.listResolved(now);
    expect(resolved.map((a) => [a.labels.alertname, a.startsAt, a.endsAt])).toEqual([
      ['Gone', T0, T0 + 10 * MINUTE],
    ]);
    // Still listed just inside the retention (24 h by default), gone after it.
    expect(await stub.listResolved(T0 + 10 * MINUTE + DAY)).toHaveLength(1);
    expect(await stub.listResolved(T0 + 10 * MINUTE + DAY + 1)).toHaveLength(0);
  });

  it('the alarm rings when the oldest resolved alert is due and forgets it', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      const stub = shard();
      // No receiver routes: no group, so only the retention arms the alarm.
      await stub.ingest([routed({ alertname: 'Old' }, { startsAt: T0 - DAY, endsAt: T0 }, [])]);
      const alarmAt = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
      expect(alarmAt).toBe(T0 + DAY);
      expect(await storedCount(stub)).toBe(1);
      vi.setSystemTime(T0 + DAY + 1);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(await storedCount(stub)).toBe(0);
      expect(await runInDurableObject(stub, (_i, state) => state.storage.getAlarm())).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps a firing alert’s group timer as the alarm when it comes first', async () => {
    const stub = shard();
    await stub.ingest([routed({ alertname: 'Old' }, { startsAt: T0 - DAY, endsAt: T0 }, [])], T0);
    await stub.ingest(
      [routed({ alertname: 'New' }, { startsAt: T0, endsAt: T0 + DAY }, [route()])],
      T0,
    );
    const alarmAt = await runInDurableObject(stub, (_i, state) => state.storage.getAlarm());
    expect(alarmAt).toBe(T0 + 30_000);
  });

  it('bounds the history: only the most recently ended are kept', async () => {
    const stub = shard();
    const extra = 20;
    const items = Array.from({ length: RESOLVED_KEEP + extra }, (_, i) =>
      routed(
        { alertname: 'Many', n: String(i) },
        { startsAt: T0 - DAY, endsAt: T0 - i * 1000 },
        [],
      ),
    );
    await stub.ingest(items, T0);
    expect(await storedCount(stub)).toBe(RESOLVED_KEEP);
    const resolved = await stub.listResolved(T0);
    expect(resolved).toHaveLength(RESOLVED_KEEP);
    expect(resolved[0]?.labels.n).toBe('0');
    expect(resolved.at(-1)?.labels.n).toBe(String(RESOLVED_KEEP - 1));
  });
});

interface ResolvedAlert {
  labels: Record<string, string>;
  startsAt: string;
  endsAt: string;
  status: { state: string };
}

describe('GET /api/v1/alerts/resolved', () => {
  const minutesAgo = (m: number) => new Date(Date.now() - m * MINUTE).toISOString();
  beforeAll(async () => {
    // The namespaces were placed long before these alerts: a resolved alert that
    // ended before its namespace was placed is the previous holder's, not the workspace's.
    await env.DB.prepare('UPDATE namespaces SET created_at = 0').run();
    const res = await api('POST', '/api/v2/alerts', fx.as('admin'), [
      {
        labels: { alertname: 'ResolvedA', cluster: 'west', namespace: 'alpha-db' },
        startsAt: minutesAgo(30),
        endsAt: minutesAgo(5),
      },
      {
        labels: { alertname: 'ResolvedB', cluster: 'west', namespace: 'beta-db' },
        startsAt: minutesAgo(40),
        endsAt: minutesAgo(10),
      },
      { labels: { alertname: 'ResolvedNode', cluster: 'west' }, endsAt: minutesAgo(1) },
      {
        labels: { alertname: 'StillFiringA', cluster: 'west', namespace: 'alpha-db' },
        endsAt: new Date(Date.now() + 3600_000).toISOString(),
      },
    ]);
    expect(res.status).toBe(200);
  });

  const names = async (persona: Persona, query = '') => {
    const res = await api('GET', `/api/v1/alerts/resolved${query}`, fx.as(persona));
    expect(res.status).toBe(200);
    return (res.body as ResolvedAlert[]).map((a) => a.labels.alertname);
  };

  it('lists resolved alerts newest end first, tenant-filtered like the firing list', async () => {
    expect(await names('admin')).toEqual(['ResolvedNode', 'ResolvedA', 'ResolvedB']);
    expect(await names('alpha-viewer')).toEqual(['ResolvedA']);
    expect(await names('beta-admin')).toEqual(['ResolvedB']);
    expect(await names('east-admin')).toEqual([]);
    expect(await names('regular')).toEqual([]);
    const res = await api('GET', '/api/v1/alerts/resolved', fx.as('alpha-viewer'));
    expect(res.body).toEqual([
      expect.objectContaining({
        labels: { alertname: 'ResolvedA', cluster: 'west', namespace: 'alpha-db' },
        startsAt: expect.any(String),
        endsAt: expect.any(String),
        status: { state: 'resolved', silencedBy: [], inhibitedBy: [] },
      }),
    ]);
  });

  it('is not what Alertmanager’s GET /api/v2/alerts lists (amtool sees only firing ones)', async () => {
    const res = await api('GET', '/api/v2/alerts', fx.as('admin'));
    const listed = (res.body as ResolvedAlert[]).map((a) => a.labels.alertname);
    expect(listed).toContain('StillFiringA');
    expect(listed).not.toContain('ResolvedA');
  });

  it('filters with amtool matchers and a limit; bad input is a 400, no token a 401', async () => {
    expect(
      await names('admin', `?filter=${encodeURIComponent('alertname=~"Resolved[AB]"')}`),
    ).toEqual(['ResolvedA', 'ResolvedB']);
    expect(await names('admin', '?limit=1')).toEqual(['ResolvedNode']);
    const bad = await api('GET', '/api/v1/alerts/resolved?limit=0', fx.as('admin'));
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 'validation_failed', requestId: expect.any(String) });
    expect(
      (await api('GET', '/api/v1/alerts/resolved?filter=%3D%3D%3D', fx.as('admin'))).status,
    ).toBe(400);
    expect((await api('GET', '/api/v1/alerts/resolved', {})).status).toBe(401);
  });

  it('hides from a namespace’s workspace the alerts that ended before it was placed there', async () => {
    const placedAt = Date.now() - 7 * MINUTE;
    await env.DB.prepare("UPDATE namespaces SET created_at = ? WHERE name = 'alpha-db'")
      .bind(placedAt)
      .run();
    try {
      // ResolvedA ended 5 minutes ago, after the placement: still alpha's.
      expect(await names('alpha-viewer')).toEqual(['ResolvedA']);
      await env.DB.prepare("UPDATE namespaces SET created_at = ? WHERE name = 'alpha-db'")
        .bind(Date.now())
        .run();
      expect(await names('alpha-viewer')).toEqual([]);
      // The cluster's readers and the platform still see it.
      expect(await names('admin')).toContain('ResolvedA');
    } finally {
      await env.DB.prepare("UPDATE namespaces SET created_at = 0 WHERE name = 'alpha-db'").run();
    }
  });

  it('the dashboard’s alerts page shows the viewer’s resolved alerts with start and end', async () => {
    const browser = new Browser();
    expect((await browser.signIn('alpha-viewer', passwordOf('alpha-viewer'))).status).toBe(303);
    const page = await browser.get('/ui/alerts');
    expect(page.status).toBe(200);
    const html = await page.text();
    const section = html.slice(html.indexOf('id="resolved"'), html.indexOf('id="silences"'));
    expect(section).toContain('Resolved recently (1)');
    expect(section).toContain('ResolvedA');
    expect(section).toMatch(/From .+ to .+/);
    expect(section).not.toContain('ResolvedB');
    expect(section).not.toContain('ResolvedNode');
    expect(section).not.toContain('StillFiringA');
  });
});
