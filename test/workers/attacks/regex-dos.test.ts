import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  defaultInhibitRules,
  Inhibitor,
  SilenceSet,
  silencesPerShard,
} from '../../../functions/alerting/muting';
import type { DeliveryMessage } from '../../../functions/alerting/route';
import { route, routed } from '../support/alerts';
import { api, type Fixture, seedFixture } from '../support/fixture';

/**
 * Issue #12, attack 2: one silence whose regex makes a backtracking engine
 * take exponential time (`((.+))+#`) and 50 alerts with 37-character label
 * values made `GET /api/v2/alerts` hang for every tenant. Alertmanager
 * matchers are RE2 (linear time), anchored as `^(?:re)$`; the caps bound what
 * one tenant can make every listing pay for.
 */

let fx: Fixture;
const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const EVIL = '((.+))+#';

interface GettableAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

type Matcher = { name: string; value: string; isRegex: boolean; isEqual?: boolean };
const silence = (matchers: Matcher[]) => ({
  matchers,
  startsAt: new Date(Date.now() - 1000).toISOString(),
  endsAt: inAnHour(),
  createdBy: 'attacker',
  comment: 'regex dos',
});

/** A call and how long it took. */
async function timed(method: string, path: string, headers: Record<string, string>) {
  const started = Date.now();
  const res = await api(method, path, headers);
  return { ...res, ms: Date.now() - started };
}

const filterQuery = (...matchers: string[]) =>
  matchers.map((m) => `filter=${encodeURIComponent(m)}`).join('&');

beforeAll(async () => {
  fx = await seedFixture();
});

describe('attack 2: a catastrophic-backtracking silence', () => {
  it('one silence with ((.+))+# and 50 alerts of 37-character labels: GET /api/v2/alerts answers within 2 s, correctly, for every tenant', async () => {
    const created = await api(
      'POST',
      '/api/v2/silences',
      fx.as('east-admin'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'pod', value: EVIL, isRegex: true },
      ]),
    );
    expect(created.status).toBe(200);
    const silenceId = (created.body as { silenceID: string }).silenceID;
    const pods = Array.from({ length: 50 }, (_, i) =>
      `pod-${String(i).padStart(2, '0')}`.padEnd(37, 'x'),
    );
    expect(pods.every((p) => p.length === 37)).toBe(true);
    const posted = await api('POST', '/api/v2/alerts', fx.as('east-admin'), [
      ...pods.map((pod) => ({
        labels: { alertname: 'Evil', cluster: 'east', pod },
        endsAt: inAnHour(),
      })),
      // RE2 still matches what the pattern means: a value ending in '#' is silenced.
      {
        labels: { alertname: 'Evil', cluster: 'east', pod: `${'y'.repeat(36)}#` },
        endsAt: inAnHour(),
      },
    ]);
    expect(posted.status).toBe(200);

    const own = await timed('GET', '/api/v2/alerts', fx.as('east-admin'));
    expect(own.status).toBe(200);
    expect(own.ms).toBeLessThan(2000);
    const evil = (own.body as GettableAlert[]).filter((a) => a.labels.alertname === 'Evil');
    expect(evil).toHaveLength(51);
    const muted = evil.filter((a) => a.status.state === 'suppressed');
    expect(muted.map((a) => a.labels.pod)).toEqual([`${'y'.repeat(36)}#`]);
    expect(muted[0]?.status.silencedBy).toEqual([silenceId]);

    // Another tenant's listing walks the same shards: it must not pay for the attacker's regex.
    for (const persona of ['beta-admin', 'admin', 'alpha-viewer'] as const) {
      const other = await timed('GET', '/api/v2/alerts', fx.as(persona));
      expect(other.status, persona).toBe(200);
      expect(other.ms, persona).toBeLessThan(2000);
    }
  }, 60_000);

  it('the same pattern as a filter, a receiver pattern or a silence filter answers fast', async () => {
    const long = 'z'.repeat(37);
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'FilterDos', cluster: 'east', pod: long }, endsAt: inAnHour() },
    ]);
    const paths = [
      `/api/v2/alerts?${filterQuery(`pod=~"${EVIL}"`)}`,
      `/api/v2/alerts?${filterQuery(`pod!~"${EVIL}"`)}`,
      `/api/v2/alerts?receiver=${encodeURIComponent(EVIL)}`,
      `/api/v1/alerts/resolved?${filterQuery(`pod=~"${EVIL}"`)}`,
      `/api/v2/silences?${filterQuery(`pod=~"${EVIL}"`)}`,
    ];
    for (const path of paths) {
      const res = await timed('GET', path, fx.as('admin'));
      expect(res.status, path).toBe(200);
      expect(res.ms, path).toBeLessThan(2000);
    }
    const notMatching = await api(
      'GET',
      `/api/v2/alerts?${filterQuery(`pod!~"${EVIL}"`, 'alertname="FilterDos"')}`,
      fx.as('admin'),
    );
    expect((notMatching.body as GettableAlert[]).map((a) => a.labels.pod)).toEqual([long]);
  }, 60_000);
});

describe('RE2 semantics, as Alertmanager', () => {
  it('Go syntax such as (?i) works in silences and filters', async () => {
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      {
        labels: { alertname: 'DiskFull', cluster: 'west', namespace: 'beta-db' },
        endsAt: inAnHour(),
      },
    ]);
    const created = await api(
      'POST',
      '/api/v2/silences',
      fx.as('beta-admin'),
      silence([
        { name: 'cluster', value: 'west', isRegex: false },
        { name: 'namespace', value: 'beta-db', isRegex: false },
        { name: 'alertname', value: '(?i)diskfull', isRegex: true },
      ]),
    );
    expect(created.status).toBe(200);
    const id = (created.body as { silenceID: string }).silenceID;
    const listed = await api(
      'GET',
      `/api/v2/alerts?${filterQuery('alertname=~"(?i)DISK.*"')}`,
      fx.as('beta-admin'),
    );
    expect(listed.status).toBe(200);
    const disk = (listed.body as GettableAlert[]).find((a) => a.labels.alertname === 'DiskFull');
    expect(disk?.status).toMatchObject({ state: 'suppressed', silencedBy: [id] });
    // Go's \pL class and (?s) flag are RE2 too.
    for (const m of ['alertname=~"\\\\pL+"', 'alertname=~"(?s)disk.*|Disk.*"']) {
      const res = await api('GET', `/api/v2/alerts?${filterQuery(m)}`, fx.as('beta-admin'));
      expect(res.status, m).toBe(200);
      expect(
        (res.body as GettableAlert[]).some((a) => a.labels.alertname === 'DiskFull'),
        m,
      ).toBe(true);
    }
  });

  it('matchers are anchored: foo does not match xfoox, in silences, filters and receivers', async () => {
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'xfoox', cluster: 'east' }, endsAt: inAnHour() },
      { labels: { alertname: 'foo', cluster: 'east' }, endsAt: inAnHour() },
    ]);
    const created = await api(
      'POST',
      '/api/v2/silences',
      fx.as('east-admin'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'alertname', value: 'foo', isRegex: true },
      ]),
    );
    expect(created.status).toBe(200);
    const all = (await api('GET', '/api/v2/alerts', fx.as('east-admin'))).body as GettableAlert[];
    expect(all.find((a) => a.labels.alertname === 'foo')?.status.state).toBe('suppressed');
    expect(all.find((a) => a.labels.alertname === 'xfoox')?.status.state).toBe('active');
    const filtered = (
      await api('GET', `/api/v2/alerts?${filterQuery('alertname=~"foo"')}`, fx.as('east-admin'))
    ).body as GettableAlert[];
    expect(filtered.map((a) => a.labels.alertname)).toEqual(['foo']);
    // An alternation is anchored as a whole (^(?:a|b)$), not only its ends.
    const alternation = (
      await api('GET', `/api/v2/alerts?${filterQuery('alertname=~"x|foo"')}`, fx.as('east-admin'))
    ).body as GettableAlert[];
    expect(alternation.map((a) => a.labels.alertname)).toEqual(['foo']);
  });

  it('refuses what RE2 cannot compile with 400 and a code, everywhere a matcher is taken', async () => {
    // `x)|(y` would escape the anchors if pasted into ^(?:…)$: refused like any unbalanced pattern.
    const badPatterns = ['(', '(a)\\1', '(?=a)b', 'a{1001}', 'x)|(y'];
    for (const pattern of badPatterns) {
      const sil = await api(
        'POST',
        '/api/v2/silences',
        fx.as('admin'),
        silence([{ name: 'alertname', value: pattern, isRegex: true }]),
      );
      expect(sil.status, pattern).toBe(400);
      expect(sil.body, pattern).toMatchObject({
        code: 'invalid_regex',
        message: expect.any(String),
      });
      for (const path of [
        `/api/v2/alerts?${filterQuery(`a=~"${pattern.replaceAll('\\', '\\\\')}"`)}`,
        `/api/v2/alerts?receiver=${encodeURIComponent(pattern)}`,
        `/api/v1/alerts/resolved?${filterQuery(`a=~"${pattern.replaceAll('\\', '\\\\')}"`)}`,
        `/api/v2/silences?${filterQuery(`a=~"${pattern.replaceAll('\\', '\\\\')}"`)}`,
      ]) {
        const res = await api('GET', path, fx.as('admin'));
        expect(res.status, path).toBe(400);
        expect(res.body, path).toMatchObject({ code: 'invalid_regex' });
      }
      const rule = await api('POST', '/api/v1/notification/inhibit-rules', fx.as('admin'), {
        name: 'bad-re',
        sourceMatchers: [{ name: 'a', op: '=', value: 'b' }],
        targetMatchers: [{ name: 'a', op: '=~', value: pattern }],
      });
      expect(rule.status, pattern).toBe(400);
      expect(rule.body, pattern).toMatchObject({ code: expect.any(String) });
    }
    // Patterns only a backtracking engine fears are valid RE2 (Alertmanager takes them) and run in linear time.
    const nested = await api(
      'POST',
      '/api/v2/silences',
      fx.as('admin'),
      silence([{ name: 'alertname', value: '(a+)+b', isRegex: true }]),
    );
    expect(nested.status).toBe(200);
  });
});

describe('inhibition at scale', () => {
  it('5,000 alerts: each warning is inhibited by exactly its critical twin, and the listing stays fast', async () => {
    // 2,500 warnings; a critical twin (same alertname and namespace) for the even ones,
    // a critical of another alertname for the odd ones (the default rule's equal labels differ).
    const alerts = Array.from({ length: 2500 }, (_, i) => [
      { labels: { alertname: 'Lag', cluster: 'scale', namespace: `ns-${i}`, severity: 'warning' } },
      {
        labels: {
          alertname: i % 2 === 0 ? 'Lag' : 'Other',
          cluster: 'scale',
          namespace: `ns-${i}`,
          severity: 'critical',
        },
      },
    ])
      .flat()
      .map((a) => ({ ...a, endsAt: inAnHour() }));
    expect((await api('POST', '/api/v2/alerts', fx.as('admin'), alerts)).status).toBe(200);
    const listed = await timed(
      'GET',
      `/api/v2/alerts?${filterQuery('cluster="scale"')}`,
      fx.as('admin'),
    );
    expect(listed.status).toBe(200);
    // The O(n²) scan took 1.5-3 s here on a quiet machine; the index about 0.5 s (mostly reading and JSON).
    expect(listed.ms).toBeLessThan(1500);
    const all = listed.body as GettableAlert[];
    expect(all).toHaveLength(5000);
    const key = (a: GettableAlert) => `${a.labels.alertname}/${a.labels.namespace}`;
    const critical = new Map(
      all.filter((a) => a.labels.severity === 'critical').map((a) => [key(a), a.fingerprint]),
    );
    for (const a of all) {
      const i = Number(a.labels.namespace?.slice(3));
      const expected = a.labels.severity === 'warning' && i % 2 === 0 ? [critical.get(key(a))] : [];
      expect(a.status.inhibitedBy, key(a)).toEqual(expected);
      expect(a.status.state).toBe(expected.length ? 'suppressed' : 'active');
    }
  }, 60_000);
});

describe('muting is linear in alerts', () => {
  const pairs = (n: number) =>
    Array.from({ length: n }, (_, i) => [
      {
        fingerprint: `w${i}`,
        labels: { alertname: 'Lag', namespace: `ns-${i}`, severity: 'warning' },
      },
      {
        fingerprint: `c${i}`,
        labels: { alertname: i % 2 ? 'Other' : 'Lag', namespace: `ns-${i}`, severity: 'critical' },
      },
    ]).flat();

  it('inhibition of 20,000 alerts: each target looks up only the sources with its equal labels', () => {
    const alerts = pairs(10_000);
    const started = Date.now();
    const inhibitor = new Inhibitor(defaultInhibitRules, alerts);
    const muted = alerts.map((a) => inhibitor.inhibitedBy(a.labels, a.fingerprint));
    const ms = Date.now() - started;
    // A scan of every source per target is 10^8 comparisons here (seconds); the index a few ms.
    expect(ms).toBeLessThan(500);
    muted.forEach((by, i) => {
      const expected = i % 4 === 0 ? [`c${i / 2}`] : [];
      expect(by, alerts[i]?.fingerprint).toEqual(expected);
    });
    expect(alerts.filter((a) => inhibitor.isInhibited(a.labels, a.fingerprint))).toHaveLength(5000);
  });

  it('1,000 silences of 100 namespaces against 10,000 alerts: each alert checks only its namespace', () => {
    const silences = Array.from({ length: 1000 }, (_, i) => ({
      id: `s${i}`,
      matchers: [
        { name: 'cluster', op: '=' as const, value: 'east' },
        { name: 'namespace', op: '=' as const, value: `ns-${i % 100}` },
        { name: 'pod', op: '=~' as const, value: `(?i)POD-${i}-.*` },
      ],
    }));
    const started = Date.now();
    const set = new SilenceSet(silences);
    const hits = Array.from({ length: 10_000 }, (_, i) =>
      set.silencedBy({ cluster: 'east', namespace: `ns-${i % 100}`, pod: `pod-${i}-x` }),
    );
    expect(Date.now() - started).toBeLessThan(1000);
    for (const [i, ids] of hits.entries()) expect(ids).toEqual(i < 1000 ? [`s${i}`] : []);
  });

  it('each shard is sent only the silences that can match its alerts', () => {
    const pin = (id: string, cluster?: string) => ({
      id,
      matchers: [
        ...(cluster ? [{ name: 'cluster', op: '=' as const, value: cluster }] : []),
        { name: 'alertname', op: '=' as const, value: 'X' },
      ],
    });
    const forShard = silencesPerShard(
      [pin('all'), pin('east', 'east'), pin('west', 'west'), pin('elsewhere', 'unregistered')],
      ['east', 'west'],
    );
    expect(forShard('east').map((s) => s.id)).toEqual(['all', 'east']);
    expect(forShard('west').map((s) => s.id)).toEqual(['all', 'west']);
    expect(forShard(undefined).map((s) => s.id)).toEqual(['all', 'elsewhere']);
  });

  describe('a shard flush', () => {
    let sent: DeliveryMessage[] = [];
    afterEach(() => vi.restoreAllMocks());

    it('5,000 alerts: the warnings with a critical twin stay out of the notification', async () => {
      sent = [];
      vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockImplementation(async (batch) => {
        for (const m of batch) sent.push(m.body);
        return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
      });
      const T0 = Date.parse('2036-11-26T10:00:00Z');
      const r = route({ groupBy: ['severity'] });
      const stub = env.ALERT_GROUPS.getByName('regex-dos-flush');
      await stub.ingest(
        pairs(2500).map((a) => routed(a.labels, { startsAt: T0, endsAt: T0 + 3600_000 }, [r])),
        T0,
      );
      const started = Date.now();
      expect(await stub.flush(T0 + 30_000)).toBe(2);
      expect(Date.now() - started).toBeLessThan(3000);
      const warning = sent.find((m) => m.payload.groupLabels.severity === 'warning')?.payload;
      expect((warning?.alerts.length ?? 0) + (warning?.truncatedAlerts ?? 0)).toBe(1250);
      expect(warning?.alerts.every((a) => Number(a.labels.namespace?.slice(3)) % 2 === 1)).toBe(
        true,
      );
    }, 60_000);
  });
});

describe('caps per tenant', () => {
  it('at most 1,000 active silences per tenant: the next is refused with a code, other tenants unaffected, expiring frees a slot', async () => {
    const now = Date.now();
    const matchers = JSON.stringify([{ name: 'cluster', op: '=', value: 'east' }]);
    const insert = env.DB.prepare(
      `INSERT INTO alert_silences (id, matchers, starts_at, ends_at, created_by, comment, author, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'seed', 'seed', 'east-admin', ?, ?)`,
    );
    // Already active in the east cluster: its own earlier silences (the attack tests add a few more).
    const existing = (
      (await api('GET', '/api/v2/silences', fx.as('east-admin'))).body as {
        id: string;
        status: { state: string };
        matchers: Matcher[];
      }[]
    ).filter(
      (s) =>
        s.status.state === 'active' &&
        s.matchers.some((m) => m.name === 'cluster' && m.value === 'east' && !m.isRegex) &&
        !s.matchers.some((m) => m.name === 'namespace'),
    ).length;
    const seeded = Array.from({ length: 1000 - existing }, (_, i) =>
      insert.bind(`seed-${i}`, matchers, now - 1000, now + 3600_000, now, now),
    );
    await env.DB.batch(seeded);

    const next = await api(
      'POST',
      '/api/v2/silences',
      fx.as('east-admin'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'alertname', value: 'OneTooMany', isRegex: false },
      ]),
    );
    expect(next.status).toBe(429);
    expect(next.body).toMatchObject({
      code: 'silence_limit_reached',
      message: expect.stringContaining('1000'),
    });
    // An update of one of the tenant's silences is not a new one.
    const update = await api('POST', '/api/v2/silences', fx.as('east-admin'), {
      ...silence([{ name: 'cluster', value: 'east', isRegex: false }]),
      id: 'seed-0',
    });
    expect(update.status).toBe(200);
    // Another tenant (workspace alpha, in the same cluster) still has its own budget.
    const alpha = await api(
      'POST',
      '/api/v2/silences',
      fx.as('proj-operator'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'namespace', value: 'alpha-web', isRegex: false },
      ]),
    );
    expect(alpha.status).toBe(200);
    // Expiring one frees a slot.
    expect((await api('DELETE', '/api/v2/silence/seed-1', fx.as('east-admin'))).status).toBe(200);
    const again = await api(
      'POST',
      '/api/v2/silences',
      fx.as('east-admin'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'alertname', value: 'OneTooMany', isRegex: false },
      ]),
    );
    expect(again.status).toBe(200);
  }, 60_000);

  it('at most 10,000 live alerts per cluster shard: intake stores what fits, refuses the excess with 429 and a code, keeps existing state', async () => {
    const westNow = async () =>
      (
        (await api('GET', '/api/v2/alerts', fx.as('admin'))).body as (GettableAlert & {
          endsAt: string;
        })[]
      ).filter((a) => a.labels.cluster === 'west');
    const before = (await westNow()).length;
    const fill = Array.from({ length: 10_000 - before + 5 }, (_, i) => ({
      labels: { alertname: 'Flood', cluster: 'west', i: String(i) },
      endsAt: inAnHour(),
    }));
    // Two posts (at most 10,000 alerts each): the first fits whole, the second overflows by five.
    const first = await api('POST', '/api/v2/alerts', fx.as('admin'), fill.slice(0, 5000));
    expect(first.status).toBe(200);
    const filled = await api('POST', '/api/v2/alerts', fx.as('admin'), fill.slice(5000));
    expect(filled.status).toBe(429);
    expect(filled.body).toMatchObject({
      code: 'alert_limit_reached',
      message: expect.stringContaining('10000'),
    });
    expect((filled.body as { message: string }).message).toContain('5 ');
    const later = new Date(Date.now() + 7200_000).toISOString();
    const over = await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'Flood', cluster: 'west', i: '0' }, endsAt: later },
      { labels: { alertname: 'NewOne', cluster: 'west' }, endsAt: inAnHour() },
      // Another cluster's shard is not full.
      { labels: { alertname: 'EastStillTakes', cluster: 'east' }, endsAt: inAnHour() },
    ]);
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ code: 'alert_limit_reached' });
    const west = await westNow();
    expect(west).toHaveLength(10_000);
    expect(west.some((a) => a.labels.alertname === 'NewOne')).toBe(false);
    expect(west.some((a) => a.labels.alertname === 'DiskFull')).toBe(true);
    // The existing alert was refreshed, not refused.
    expect(west.find((a) => a.labels.alertname === 'Flood' && a.labels.i === '0')?.endsAt).toBe(
      later,
    );
    const east = (
      await api('GET', `/api/v2/alerts?${filterQuery('cluster="east"')}`, fx.as('admin'))
    ).body as GettableAlert[];
    expect(east.some((a) => a.labels.alertname === 'EastStillTakes')).toBe(true);
  }, 120_000);

  it("the shard counts refusals, and the edge's own alerts (uncapped) still get in when full", async () => {
    const T0 = Date.parse('2036-11-26T10:00:00Z');
    const firing = { startsAt: T0, endsAt: T0 + 3600_000 };
    const stub = env.ALERT_GROUPS.getByName('regex-dos-cap');
    const fill = Array.from({ length: 10_000 }, (_, i) =>
      routed({ alertname: 'F', i: `${i}` }, firing),
    );
    expect(await stub.ingest(fill, T0)).toEqual({ stored: 10_000, refused: 0, live: 10_000 });
    expect(await stub.ingest([routed({ alertname: 'New' }, firing)], T0)).toMatchObject({
      stored: 0,
      refused: 1,
    });
    // Resolving a held alert makes room for one new alert.
    expect(
      await stub.ingest([routed({ alertname: 'F', i: '0' }, { startsAt: T0, endsAt: T0 })], T0 + 1),
    ).toMatchObject({ stored: 1, refused: 0, live: 9_999 });
    expect(
      await stub.ingest([routed({ alertname: 'ClusterDisconnected' }, firing)], T0 + 1, {
        capped: false,
      }),
    ).toMatchObject({ stored: 1, refused: 0 });
    expect(
      await stub.ingest([routed({ alertname: 'NodeNotReady' }, firing)], T0 + 1, { capped: false }),
    ).toMatchObject({ stored: 1, refused: 0, live: 10_001 });
    expect(await stub.stats(T0 + 1)).toEqual({ live: 10_001, limit: 10_000, refusedTotal: 1 });
  }, 60_000);
});
