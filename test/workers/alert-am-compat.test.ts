import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeliveryMessage } from '../../functions/alerting/route';
import { clusterShard } from '../../functions/alerting/shards';
import { AGENT_VERSION } from '../../protocol/agent-version';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { apiWith, devEnv, sinkUrl, uniquePrefix } from './support/notify';

/**
 * Alertmanager API v2 compatibility beyond alerts and silences: the status
 * amtool reads its routing from, alert groups and receivers, each scoped
 * to the caller's tenancy, and the externalURL notifications carry.
 */

let fx: Fixture;
let prefix: string;

async function receiver(
  persona: Persona,
  name: string,
  owner: Record<string, string>,
  extra: Record<string, unknown> = {},
) {
  const ch = await apiWith('POST', '/api/v1/notification/channels', fx.as(persona), {
    name: `${name}-hook`,
    type: 'webhook',
    config: { url: sinkUrl(`${prefix}/${name}`) },
    ...owner,
  });
  expect(ch.status, JSON.stringify(ch.body)).toBe(201);
  const rcv = await api('POST', '/api/v1/notification/receivers', fx.as(persona), {
    name,
    channels: [`${name}-hook`],
    ...owner,
    ...extra,
  });
  expect(rcv.status, JSON.stringify(rcv.body)).toBe(201);
}

interface AlertGroup {
  labels: Record<string, string>;
  receiver: { name: string };
  alerts: { labels: Record<string, string>; fingerprint: string; status: { state: string } }[];
}

const groupsOf = async (persona: Persona, query = '') => {
  const res = await api('GET', `/api/v2/alerts/groups${query}`, fx.as(persona));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as AlertGroup[];
};

/** Each group as `receiver {labels}: alertname/namespace, …`, sorted. */
const summary = (groups: AlertGroup[]) =>
  groups
    .map(
      (g) =>
        `${g.receiver.name} ${JSON.stringify(g.labels)}: ${g.alerts
          .map((a) => `${a.labels.alertname}/${a.labels.cluster}/${a.labels.namespace ?? '-'}`)
          .sort()
          .join(', ')}`,
    )
    .sort();

const receiversOf = async (persona: Persona) => {
  const res = await api('GET', '/api/v2/receivers', fx.as(persona));
  expect(res.status).toBe(200);
  return (res.body as { name: string }[]).map((r) => r.name);
};

/** An API token: unlike a session JWT it stays valid when PUBLIC_URL (the JWT issuer) changes. */
async function apiToken(persona: Persona, scopes: string[]): Promise<Record<string, string>> {
  const res = await api('POST', '/api/v1/tokens', fx.as(persona), {
    name: `t-${scopes.join('-')}`,
    scopes,
  });
  expect(res.status).toBe(201);
  return { authorization: `Bearer ${(res.body as { token: string }).token}` };
}

const configOf = async (persona: Persona) => {
  const res = await api('GET', '/api/v2/status', fx.as(persona));
  expect(res.status).toBe(200);
  return (res.body as { config: { original: string } }).config.original;
};

beforeAll(async () => {
  fx = await seedFixture();
  prefix = uniquePrefix('am-compat');
  await receiver(
    'admin',
    'ops',
    {},
    { matchers: [{ name: 'severity', op: '=', value: 'critical' }] },
  );
  await receiver(
    'alpha-admin',
    'oncall',
    { workspace: 'alpha' },
    {
      matchers: [{ name: 'severity', op: '=~', value: 'warning|critical' }],
      groupBy: ['alertname', 'namespace'],
      groupWaitSeconds: 0,
    },
  );
  await receiver('beta-admin', 'oncall', { workspace: 'beta' });
  await receiver('beta-admin', 'beta-secret', { workspace: 'beta' });
  await receiver('east-admin', 'east-pager', { cluster: 'east' }, { groupBy: ['alertname'] });
  const posted = await api('POST', '/api/v2/alerts', fx.as('admin'), [
    {
      labels: {
        alertname: 'PodCrash',
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'warning',
      },
    },
    {
      labels: {
        alertname: 'PodCrash',
        cluster: 'west',
        namespace: 'alpha-db',
        severity: 'critical',
      },
    },
    { labels: { alertname: 'Chatter', cluster: 'east', namespace: 'alpha-web', severity: 'info' } },
    {
      labels: {
        alertname: 'PodCrash',
        cluster: 'east',
        namespace: 'beta-web',
        severity: 'warning',
      },
    },
    { labels: { alertname: 'NodeDown', cluster: 'east', severity: 'critical' } },
  ]);
  expect(posted.status).toBe(200);
});

afterEach(() => vi.restoreAllMocks());

describe('GET /api/v2/status', () => {
  it('carries edgetower version fields, an uptime, no Alertmanager cluster and the edge URL', async () => {
    const res = await api('GET', '/api/v2/status', fx.as('regular'));
    expect(res.status).toBe(200);
    const body = res.body as Record<string, unknown>;
    expect(body).toMatchObject({
      cluster: { status: 'disabled' },
      versionInfo: {
        version: AGENT_VERSION,
        revision: expect.any(String),
        branch: expect.any(String),
        buildUser: 'edgetower',
        buildDate: expect.any(String),
        goVersion: expect.any(String),
      },
      config: { original: expect.any(String) },
      externalURL: 'https://edge.test',
    });
    expect(new Date(String(body.uptime)).getTime()).toBeGreaterThan(Date.UTC(2020, 0, 1));
    const pinned = await apiWith(
      'GET',
      '/api/v2/status',
      await apiToken('regular', []),
      undefined,
      {
        ...env,
        PUBLIC_URL: 'https://edge.example.com/',
      },
    );
    expect((pinned.body as { externalURL: string }).externalURL).toBe('https://edge.example.com');
  });

  it("renders the caller's receivers as an Alertmanager routing tree, and no one else's", async () => {
    const alpha = await configOf('alpha-viewer');
    expect(alpha).toContain('route:\n  receiver: "(none)"\n  routes:\n');
    // alpha's namespaces, one branch per cluster, and its receiver under each.
    expect(alpha).toContain('matchers: ["cluster=\\"east\\"", "namespace=\\"alpha-web\\""]');
    expect(alpha).toContain('matchers: ["cluster=\\"west\\"", "namespace=\\"alpha-db\\""]');
    expect(alpha.match(/- receiver: "oncall"/g)).toHaveLength(2);
    expect(alpha).toContain('matchers: ["severity=~\\"warning|critical\\""]');
    expect(alpha).toContain('group_by: ["alertname", "namespace"]');
    expect(alpha).toContain('group_wait: "0s"');
    expect(alpha).toContain('repeat_interval: "4h"');
    expect(alpha).toContain('receivers:\n  - name: "(none)"\n  - name: "oncall"\n');
    for (const foreign of ['beta', 'east-pager', '"ops"', 'inhibit_rules'])
      expect(alpha).not.toContain(foreign);

    const beta = await configOf('beta-admin');
    expect(beta).toContain('"namespace=\\"beta-web\\""');
    expect(beta).toContain('- name: "beta-secret"');
    for (const foreign of ['alpha', 'east-pager', '"ops"']) expect(beta).not.toContain(foreign);

    const east = await configOf('east-admin');
    expect(east).toContain('matchers: ["cluster=\\"east\\""]\n');
    expect(east).toContain('- receiver: "east-pager"');
    for (const foreign of ['alpha', 'beta', 'oncall', '"ops"']) expect(east).not.toContain(foreign);

    // Someone with no receivers anywhere gets a valid, empty tree.
    expect(await configOf('regular')).toContain(
      'route:\n  receiver: "(none)"\nreceivers:\n  - name: "(none)"\n',
    );
  });

  it('shows a platform admin every receiver, same names told apart by owner, and the inhibition rules', async () => {
    const all = await configOf('admin');
    expect(all).toContain('- receiver: "ops"\n      matchers: ["severity=\\"critical\\""]');
    expect(all).toContain('- receiver: "oncall@workspace/alpha"');
    expect(all).toContain('- receiver: "oncall@workspace/beta"');
    expect(all).toContain(
      'inhibit_rules:\n  - source_matchers: ["severity=\\"critical\\""]\n    target_matchers: ["severity=\\"warning\\""]\n    equal: ["alertname", "namespace"]\n',
    );
  });
});

describe('GET /api/v2/receivers', () => {
  it('lists the receivers of the rendered configuration, per tenant', async () => {
    expect(await receiversOf('alpha-viewer')).toEqual(['(none)', 'oncall']);
    expect(await receiversOf('beta-viewer')).toEqual(['(none)', 'beta-secret', 'oncall']);
    expect(await receiversOf('east-viewer')).toEqual(['(none)', 'east-pager']);
    expect(await receiversOf('proj-viewer')).toEqual(['(none)']);
    expect(await receiversOf('admin')).toEqual([
      '(none)',
      'beta-secret',
      'east-pager',
      'oncall@workspace/alpha',
      'oncall@workspace/beta',
      'ops',
    ]);
  });
});

describe('GET /api/v2/alerts/groups', () => {
  it("groups each tenant's visible alerts by its own receivers; unrouted ones under (none)", async () => {
    const alpha = await groupsOf('alpha-viewer');
    expect(alpha[0]).toMatchObject({
      labels: expect.any(Object),
      receiver: { name: expect.any(String) },
      alerts: [
        expect.objectContaining({
          fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
          status: { state: 'active', silencedBy: [], inhibitedBy: [] },
        }),
      ],
    });
    expect(summary(alpha)).toEqual([
      '(none) {}: Chatter/east/alpha-web',
      'oncall {"alertname":"PodCrash","namespace":"alpha-db"}: PodCrash/west/alpha-db',
      'oncall {"alertname":"PodCrash","namespace":"alpha-web"}: PodCrash/east/alpha-web',
    ]);
    expect(summary(await groupsOf('beta-admin'))).toEqual([
      'beta-secret {"alertname":"PodCrash"}: PodCrash/east/beta-web',
      'oncall {"alertname":"PodCrash"}: PodCrash/east/beta-web',
    ]);
    expect(summary(await groupsOf('east-admin'))).toEqual([
      'east-pager {"alertname":"Chatter"}: Chatter/east/alpha-web',
      'east-pager {"alertname":"NodeDown"}: NodeDown/east/-',
      'east-pager {"alertname":"PodCrash"}: PodCrash/east/alpha-web, PodCrash/east/beta-web',
    ]);
    expect(await groupsOf('regular')).toEqual([]);
  });

  it('a platform admin sees every group; clusters never share one', async () => {
    const ops = (await groupsOf('admin')).filter((g) => g.receiver.name === 'ops');
    expect(summary(ops)).toEqual([
      'ops {"alertname":"NodeDown"}: NodeDown/east/-',
      'ops {"alertname":"PodCrash"}: PodCrash/west/alpha-db',
    ]);
  });

  it('takes amtool filters and the receiver regex, and refuses bad ones with 400', async () => {
    const filtered = await groupsOf(
      'alpha-viewer',
      `?filter=${encodeURIComponent('namespace="alpha-web"')}&filter=${encodeURIComponent('severity!="info"')}`,
    );
    expect(summary(filtered)).toEqual([
      'oncall {"alertname":"PodCrash","namespace":"alpha-web"}: PodCrash/east/alpha-web',
    ]);
    const byReceiver = await groupsOf('admin', `?receiver=${encodeURIComponent('oncall@.*')}`);
    expect(new Set(byReceiver.map((g) => g.receiver.name))).toEqual(
      new Set(['oncall@workspace/alpha', 'oncall@workspace/beta']),
    );
    for (const query of [
      `?filter=${encodeURIComponent('===')}`,
      // A lookahead: RE2 (Alertmanager's engine) refuses it.
      `?receiver=${encodeURIComponent('(?=a)b')}`,
      '?active=maybe',
    ])
      expect((await api('GET', `/api/v2/alerts/groups${query}`, fx.as('admin'))).status).toBe(400);
  });
});

describe('externalURL in notifications', () => {
  const flushWest = async (alertname: string) => {
    const sent: DeliveryMessage[] = [];
    vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockImplementation(async (batch) => {
      for (const m of batch) sent.push(m.body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    });
    await env.ALERT_GROUPS.getByName(clusterShard(fx.ids.clusters.west)).flush(Date.now() + 31_000);
    return sent.filter((m) => m.payload.alerts.some((a) => a.labels.alertname === alertname));
  };

  it('is the origin the alert was posted to, or PUBLIC_URL when set; generatorURL is left as sent', async () => {
    const alert = (alertname: string) => [
      {
        labels: { alertname, cluster: 'west', namespace: 'alpha-db', severity: 'critical' },
        generatorURL: 'http://prometheus.internal:9090/graph?g0.expr=up',
      },
    ];
    expect((await api('POST', '/api/v2/alerts', fx.as('admin'), alert('ByOrigin'))).status).toBe(
      200,
    );
    const byOrigin = await flushWest('ByOrigin');
    expect(byOrigin.map((m) => m.receiverName).sort()).toEqual(['oncall', 'ops']);
    for (const m of byOrigin) {
      expect(m.payload.externalURL).toBe('https://edge.test');
      expect(m.payload.alerts[0]?.generatorURL).toBe(
        'http://prometheus.internal:9090/graph?g0.expr=up',
      );
    }
    const token = await apiToken('admin', ['create:alerts']);
    const posted = await apiWith(
      'POST',
      '/api/v2/alerts',
      { ...token, 'content-type': 'application/json' },
      alert('ByPublicUrl'),
      {
        ...devEnv(),
        PUBLIC_URL: 'https://edge.example.com',
      },
    );
    expect(posted.status).toBe(200);
    const pinned = await flushWest('ByPublicUrl');
    expect(pinned).toHaveLength(2);
    for (const m of pinned) expect(m.payload.externalURL).toBe('https://edge.example.com');
  });
});
