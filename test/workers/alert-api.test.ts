import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
const json = (token: string) => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
});

async function apiToken(headers: Record<string, string>, scopes: string[]): Promise<string> {
  const res = await api('POST', '/api/v1/tokens', headers, {
    name: `t-${scopes.join('-')}`,
    scopes,
  });
  expect(res.status).toBe(201);
  return (res.body as { token: string }).token;
}

interface GettableAlert {
  labels: Record<string, string>;
  fingerprint: string;
  receivers: { name: string }[];
  status: { state: string; silencedBy: string[]; inhibitedBy: string[] };
}

const listAlerts = async (headers: Record<string, string>, query = '') => {
  const res = await api('GET', `/api/v2/alerts${query}`, headers);
  expect(res.status).toBe(200);
  return res.body as GettableAlert[];
};

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

beforeAll(async () => {
  fx = await seedFixture();
});

describe('POST /api/v2/alerts', () => {
  it('takes an Alertmanager v2 array with a create:alerts token and labels the cluster from the token owner', async () => {
    const token = await apiToken(fx.as('east-admin'), ['create:alerts']);
    const res = await api('POST', '/api/v2/alerts', json(token), [
      {
        labels: { alertname: 'KubePodCrashLooping', namespace: 'alpha-web', severity: 'warning' },
        annotations: { summary: 'crash looping' },
        startsAt: new Date().toISOString(),
        endsAt: inAnHour(),
        generatorURL: 'http://prometheus/graph',
      },
    ]);
    expect(res.status).toBe(200);
    const alerts = await listAlerts(fx.as('east-admin'));
    const alert = alerts.find((a) => a.labels.alertname === 'KubePodCrashLooping');
    expect(alert?.labels.cluster).toBe('east');
    expect(alert?.status).toEqual({ state: 'active', silencedBy: [], inhibitedBy: [] });
    expect(alert?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('takes an Alertmanager webhook v4 payload and deduplicates by fingerprint', async () => {
    const alert = {
      status: 'firing',
      labels: { alertname: 'FromInClusterAM', cluster: 'east', namespace: 'beta-web' },
      annotations: {},
      startsAt: new Date().toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: 'ignored',
    };
    const payload = {
      version: '4',
      groupKey: '{}:{}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'edge',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://am',
      alerts: [alert, alert],
    };
    expect((await api('POST', '/api/v2/alerts', fx.as('admin'), payload)).status).toBe(200);
    expect((await api('POST', '/api/v2/alerts', fx.as('admin'), payload)).status).toBe(200);
    // A cluster name the edge does not know is still listed.
    expect(
      (
        await api('POST', '/api/v2/alerts', fx.as('admin'), [
          { labels: { alertname: 'Elsewhere', cluster: 'unregistered' } },
        ])
      ).status,
    ).toBe(200);
    expect(
      (await listAlerts(fx.as('admin'))).some((a) => a.labels.cluster === 'unregistered'),
    ).toBe(true);
    const alerts = (await listAlerts(fx.as('admin'))).filter(
      (a) => a.labels.alertname === 'FromInClusterAM',
    );
    expect(alerts).toHaveLength(1);
  });

  it('refuses callers without the right: no token, a token without create:alerts, another tenant', async () => {
    const body = JSON.stringify([{ labels: { alertname: 'X', cluster: 'east' } }]);
    const anonymous = await fetchWorker('/api/v2/alerts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(anonymous.status).toBe(401);
    const listOnly = await apiToken(fx.as('east-admin'), ['list:alerts']);
    expect((await api('POST', '/api/v2/alerts', json(listOnly), body)).status).toBe(403);
    // A workspace admin may not post cluster-level alerts, nor alerts of another workspace's namespace.
    expect((await api('POST', '/api/v2/alerts', fx.as('alpha-admin'), body)).status).toBe(403);
    const beta = JSON.stringify([
      { labels: { alertname: 'X', cluster: 'east', namespace: 'beta-web' } },
    ]);
    expect((await api('POST', '/api/v2/alerts', fx.as('alpha-admin'), beta)).status).toBe(403);
    const alpha = JSON.stringify([
      { labels: { alertname: 'AlphaOwn', cluster: 'east', namespace: 'alpha-web' } },
    ]);
    expect((await api('POST', '/api/v2/alerts', fx.as('alpha-admin'), alpha)).status).toBe(200);
  });

  it('rejects malformed bodies with 400 in the one error shape', async () => {
    const cases: unknown[] = [
      '{not json',
      { alerts: [] },
      [{ labels: {} }],
      [{ labels: { 'bad-name': 'x' } }],
      [{ labels: { alertname: 1 } }],
      [{ labels: { alertname: 'X' }, startsAt: 'yesterday' }],
      { version: '3', alerts: [] },
    ];
    for (const body of cases) {
      const res = await api('POST', '/api/v2/alerts', fx.as('admin'), body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
    }
  });
});

describe('GET /api/v2/alerts', () => {
  it('shows each tenant only its own alerts', async () => {
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'TenantA', cluster: 'west', namespace: 'alpha-db' } },
      { labels: { alertname: 'TenantB', cluster: 'west', namespace: 'beta-db' } },
      { labels: { alertname: 'WestNode', cluster: 'west' } },
    ]);
    const names = async (persona: Parameters<Fixture['as']>[0]) =>
      (await listAlerts(fx.as(persona)))
        .map((a) => a.labels.alertname)
        .filter((n) => ['TenantA', 'TenantB', 'WestNode'].includes(n ?? ''))
        .sort();
    expect(await names('admin')).toEqual(['TenantA', 'TenantB', 'WestNode']);
    expect(await names('alpha-viewer')).toEqual(['TenantA']);
    expect(await names('beta-admin')).toEqual(['TenantB']);
    expect(await names('east-admin')).toEqual([]);
    expect(await names('regular')).toEqual([]);
  });

  it('filters with amtool matchers and rejects bad ones', async () => {
    const filtered = await listAlerts(
      fx.as('admin'),
      `?filter=${encodeURIComponent('alertname=~"Tenant.*"')}&filter=${encodeURIComponent('namespace!="beta-db"')}`,
    );
    expect(filtered.map((a) => a.labels.alertname)).toEqual(['TenantA']);
    expect((await api('GET', '/api/v2/alerts?filter=%3D%3D%3D', fx.as('admin'))).status).toBe(400);
    expect(
      (await api('GET', `/api/v2/alerts?filter=${encodeURIComponent('a=~"("')}`, fx.as('admin')))
        .status,
    ).toBe(400);
    expect((await api('GET', '/api/v2/alerts?active=maybe', fx.as('admin'))).status).toBe(400);
    // Patterns RE2 cannot compile (lookaround, backreferences) are refused, not run. Nested
    // quantifiers are valid RE2 and run in linear time (test/workers/attacks/regex-dos.test.ts).
    for (const pattern of ['a=~"(?=a)b"', 'a=~"(?<!x)y"', 'a=~"(foo)\\\\1"'])
      expect(
        (await api('GET', `/api/v2/alerts?filter=${encodeURIComponent(pattern)}`, fx.as('admin')))
          .status,
        pattern,
      ).toBe(400);
    expect(
      (await api('GET', `/api/v2/alerts?receiver=${encodeURIComponent('(?=a)')}`, fx.as('admin')))
        .status,
    ).toBe(400);
  });
});

describe('silences', () => {
  const silence = (
    matchers: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[],
  ) => ({
    matchers,
    startsAt: new Date(Date.now() - 1000).toISOString(),
    endsAt: inAnHour(),
    createdBy: 'amtool',
    comment: 'deploying',
  });

  it('a project operator silences their namespace; the alert shows as suppressed; DELETE expires and keeps it', async () => {
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'Muted', cluster: 'east', namespace: 'alpha-web' } },
    ]);
    const created = await api(
      'POST',
      '/api/v2/silences',
      fx.as('proj-operator'),
      silence([
        { name: 'cluster', value: 'east', isRegex: false },
        { name: 'namespace', value: 'alpha-web', isRegex: false },
        { name: 'alertname', value: 'Mut.*', isRegex: true },
      ]),
    );
    expect(created.status).toBe(200);
    const id = (created.body as { silenceID: string }).silenceID;
    const muted = (await listAlerts(fx.as('admin'))).find((a) => a.labels.alertname === 'Muted');
    expect(muted?.status).toMatchObject({ state: 'suppressed', silencedBy: [id] });
    expect(
      (await listAlerts(fx.as('admin'), '?silenced=false')).some(
        (a) => a.labels.alertname === 'Muted',
      ),
    ).toBe(false);

    const one = await api('GET', `/api/v2/silence/${id}`, fx.as('proj-operator'));
    expect(one.body).toMatchObject({
      id,
      status: { state: 'active' },
      createdBy: 'amtool',
      matchers: expect.arrayContaining([
        { name: 'alertname', value: 'Mut.*', isRegex: true, isEqual: true },
      ]),
    });
    expect((await api('GET', `/api/v2/silence/${id}`, fx.as('beta-admin'))).status).toBe(404);
    expect((await api('DELETE', `/api/v2/silence/${id}`, fx.as('beta-admin'))).status).toBe(404);
    expect((await api('DELETE', `/api/v2/silence/${id}`, fx.as('proj-operator'))).status).toBe(200);
    const listed = (await api('GET', '/api/v2/silences', fx.as('proj-operator'))).body as {
      id: string;
      status: { state: string };
    }[];
    expect(listed.find((s) => s.id === id)?.status.state).toBe('expired');
    expect(
      ((await api('GET', '/api/v2/silences', fx.as('beta-admin'))).body as unknown[]).length,
    ).toBe(0);
    const again = (await listAlerts(fx.as('admin'))).find((a) => a.labels.alertname === 'Muted');
    expect(again?.status.state).toBe('active');
  });

  it('refuses silences beyond the caller scope and malformed ones', async () => {
    const wide = silence([{ name: 'alertname', value: 'X', isRegex: false }]);
    expect((await api('POST', '/api/v2/silences', fx.as('proj-operator'), wide)).status).toBe(403);
    expect((await api('POST', '/api/v2/silences', fx.as('regular'), wide)).status).toBe(403);
    const bad: unknown[] = [
      { ...wide, extra: 1 },
      { ...wide, matchers: [] },
      { ...wide, matchers: [{ name: 'a', value: '(', isRegex: true }] },
      { ...wide, matchers: [{ name: 'a', value: '(?=a)b', isRegex: true }] },
      { ...wide, endsAt: new Date(Date.now() - 5000).toISOString() },
      { ...wide, startsAt: 'soon' },
      '{',
    ];
    for (const body of bad)
      expect(
        (await api('POST', '/api/v2/silences', fx.as('admin'), body)).status,
        JSON.stringify(body),
      ).toBe(400);
    expect(
      (await api('POST', '/api/v2/silences', fx.as('admin'), { ...wide, id: 'nope' })).status,
    ).toBe(404);
  });
});

describe('GET /api/v2/status', () => {
  it('answers with the fields amtool requires', async () => {
    const res = await api('GET', '/api/v2/status', fx.as('regular'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      cluster: { status: 'disabled' },
      versionInfo: { version: expect.any(String), goVersion: expect.any(String) },
      config: { original: expect.any(String) },
      uptime: expect.any(String),
    });
  });
});
