import { beforeAll, describe, expect, it } from 'vitest';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent } from './support/agent-socket';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';
import { browserSessions } from './support/ui-sessions';

let fx: Fixture;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const node = (name: string, ready: boolean, edge: boolean) => ({
  name,
  ready,
  edge,
  roles: edge ? ['agent', 'edge'] : ['worker'],
  kubeletVersion: edge ? 'v1.31.0-kubeedge' : 'v1.31.0',
  capacity: { cpu: '4' },
  allocatable: { cpu: '4' },
  addresses: [],
  unschedulable: false,
});
const workloads = { deployments: 1, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 3 };
const warning = (namespace: string, reason: string) => ({
  key: `${namespace}/${reason}`,
  namespace,
  reason,
  message: `${reason} in ${namespace}`,
  involvedObject: { kind: 'Pod', name: `${namespace}-pod`, namespace },
  count: 2,
});

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/arm64' },
  nodes: [node('east-1', true, false), node('kiosk-7', false, true)],
  namespaces: [
    { name: 'alpha-web', workspace: 'alpha', phase: 'Active', workloads },
    { name: 'beta-web', workspace: 'beta', phase: 'Active', workloads },
    { name: 'kube-system', phase: 'Active', workloads },
  ],
  events: [warning('alpha-web', 'AlphaBackOff'), warning('beta-web', 'BetaBackOff')],
};

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const alert = (labels: Record<string, string>) => ({
  labels,
  annotations: { summary: `${labels.alertname} summary` },
  startsAt: new Date().toISOString(),
  endsAt: inAnHour(),
});

const as = browserSessions();

async function page(persona: Parameters<Fixture['as']>[0], path: string) {
  const res = await (await as(persona)).get(path);
  return { status: res.status, html: await res.text() };
}

async function fingerprintOf(alertname: string, namespace: string): Promise<string> {
  const res = await api('GET', '/api/v2/alerts', fx.as('admin'));
  const found = (res.body as { labels: Record<string, string>; fingerprint: string }[]).find(
    (a) => a.labels.alertname === alertname && a.labels.namespace === namespace,
  );
  return found!.fingerprint;
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  const agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-a');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  const posted = await api('POST', '/api/v2/alerts', fx.as('admin'), [
    alert({
      alertname: 'AlphaDown',
      cluster: 'east',
      namespace: 'alpha-web',
      severity: 'critical',
    }),
    alert({ alertname: 'BetaDown', cluster: 'east', namespace: 'beta-web', severity: 'critical' }),
    alert({ alertname: 'AlphaSlow', cluster: 'west', namespace: 'alpha-db', severity: 'warning' }),
  ]);
  expect(posted.status).toBe(200);
});

describe('dashboard pages show only what the user may see', () => {
  it('overview: a platform admin sees every cluster and alert, each figure marked live', async () => {
    const { status, html } = await page('admin', '/ui');
    expect(status).toBe(200);
    expect(html).toContain('href="/ui/clusters/east"');
    expect(html).toContain('href="/ui/clusters/west"');
    // east is connected but has 2 critical alerts and a node down: its badge rolls that up.
    expect(html).toContain('data-live-cluster="east">Critical');
    expect(html).toContain('data-live-firing="total">3');
    expect(html).toContain('href="/ui/audit"');
    // The live script refetches this page and copies each data-live part: every figure is one.
    for (const [key, text] of [
      ['clusters.connected', '1'],
      ['clusters.total', '2'],
      ['firing.total', '3'],
      ['firing.critical', '2'],
      ['firing.warning', '1'],
      ['badge.east', 'Critical'],
      ['badge.west', 'Waiting for agent'],
    ] as const)
      expect(html).toMatch(new RegExp(`data-live="${esc(key)}"[^>]*>${esc(text)}<`));
    expect(html).toMatch(/data-live="attention-list"[\s\S]*AlphaDown/);
  });

  it('cluster detail: an admin sees nodes, edge nodes, all namespaces, warnings, alerts and admin forms', async () => {
    const { status, html } = await page('admin', '/ui/clusters/east');
    expect(status).toBe(200);
    for (const text of ['kiosk-7', 'v1.31.0-kubeedge', 'alpha-web', 'beta-web', 'kube-system'])
      expect(html).toContain(text);
    expect(html).toContain('AlphaBackOff');
    expect(html).toContain('BetaBackOff');
    expect(html).toContain('AlphaDown');
    expect(html).toContain('BetaDown');
    // Rotating and deleting go through confirmation pages.
    expect(html).toContain('href="/ui/clusters/east/rotate"');
    expect(html).toContain('href="/ui/clusters/east/delete"');
    expect(html).toContain('action="/ui/clusters/east/edge-join"');
  });

  it("a workspace viewer sees their workspace's namespaces, warnings and alerts only", async () => {
    const overview = await page('alpha-viewer', '/ui');
    expect(overview.html).toContain('data-live-firing="total">2');
    expect(overview.html).not.toContain('href="/ui/audit"');
    const { status, html } = await page('alpha-viewer', '/ui/clusters/east');
    expect(status).toBe(200);
    expect(html).toContain('alpha-web');
    expect(html).toContain('AlphaBackOff');
    expect(html).toContain('AlphaDown');
    for (const hidden of ['beta-web', 'BetaBackOff', 'BetaDown', 'kube-system', 'kiosk-7'])
      expect(html).not.toContain(hidden);
    expect(html).toContain('Only cluster-wide readers see this.');
    expect(html).not.toContain('/join-token');
    const alerts = await page('alpha-viewer', '/ui/alerts');
    expect(alerts.html).toContain('AlphaDown');
    expect(alerts.html).toContain('AlphaSlow');
    expect(alerts.html).not.toContain('BetaDown');

    const beta = await page('beta-viewer', '/ui/clusters/east');
    expect(beta.html).toContain('beta-web');
    expect(beta.html).not.toContain('alpha-web');
    expect((await page('beta-viewer', '/ui/alerts')).html).not.toContain('Alpha');
  });

  it('answers 404 for a cluster or workspace the user cannot see, 403 for the audit log', async () => {
    const missing = await page('regular', '/ui/clusters/east');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('Cluster &quot;east&quot; not found.');
    expect((await page('alpha-admin', '/ui/workspaces/beta')).status).toBe(404);
    expect((await page('alpha-viewer', '/ui/audit')).status).toBe(403);
    expect((await page('regular', `/ui/clusters/${'x'.repeat(64)}`)).status).toBe(400);
  });

  it('workspaces: members with roles and namespaces by cluster', async () => {
    const list = await page('alpha-admin', '/ui/workspaces');
    expect(list.html).toContain('href="/ui/workspaces/alpha"');
    expect(list.html).not.toContain('href="/ui/workspaces/beta"');
    const { html } = await page('alpha-admin', '/ui/workspaces/alpha');
    expect(html).toContain('alpha-viewer');
    expect(html).toContain('workspace-viewer');
    expect(html).toContain('alpha-db');
    expect(html).toContain('href="/ui/clusters/west"');
  });

  it("shows the workspace quota's hard limits beside what is used", async () => {
    const put = await api('PUT', '/api/v1/workspaces/beta/quota', fx.as('admin'), {
      hard: { cpu: '8', pods: '100' },
    });
    expect(put.status).toBe(200);
    const { html } = await page('beta-admin', '/ui/workspaces/beta');
    expect(html).toContain('id="quota"');
    // Quota keys in words.
    expect(html).toMatch(/<th scope="row">CPU \(cores\)<\/th><td>0 \/ 8<\/td>/);
    expect(html).toMatch(/<th scope="row">Pods<\/th><td>0 \/ 100<\/td>/);
    // alpha has no quota: no quota section.
    expect((await page('alpha-admin', '/ui/workspaces/alpha')).html).not.toContain('id="quota"');
  });

  it('audit log: admins read it', async () => {
    const { status, html } = await page('admin', '/ui/audit');
    expect(status).toBe(200);
    expect(html).toContain('join-token');
  });
});

describe('metering: charts, bills, prices', () => {
  it('renders the metering page per level and period, prices for admins only', async () => {
    const admin = await page('admin', '/ui/metering?level=workspace&range=7d');
    expect(admin.status).toBe(200);
    expect(admin.html).toContain('<option value="workspace" selected="">');
    expect(admin.html).toContain('No usage recorded in this period.');
    expect(admin.html).toContain('id="prices"');
    expect(admin.html).toContain('href="/ui/workspaces/alpha/bill.csv"');
    const viewer = await page('alpha-viewer', '/ui/metering');
    expect(viewer.status).toBe(200);
    expect(viewer.html).not.toContain('id="prices"');
    expect(viewer.html).not.toContain('/ui/workspaces/beta/bill.csv');
    expect((await page('admin', '/ui/metering?range=1y')).status).toBe(400);
  });

  it('shows a price once set, even while it is only scheduled (from the next whole hour)', async () => {
    const put = await api('PUT', '/api/v1/metering/prices', fx.as('admin'), {
      currency: 'USD',
      cpuPerCoreHour: 0.04,
      memoryPerGiBHour: 0.005,
      ingressPerGiB: 0.01,
      egressPerGiB: 0.09,
      pvcPerGiBHour: 0.0002,
    });
    expect(put.status).toBe(200);
    const { html } = await page('admin', '/ui/metering');
    // Only scheduled yet: no current price, the next one beside it with when it starts.
    expect(html).toContain('Next price, from');
    expect(html).toContain('$0.04');
    expect(html).toContain('$0.0002');
    expect(html).not.toContain('No price set');
  });

  it("downloads a workspace's bill as CSV, and only the user's own", async () => {
    const res = await (await as('alpha-admin')).get('/ui/workspaces/alpha/bill.csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; filename=".*alpha.*\.csv"$/,
    );
    expect((await res.text()).split('\n')[0]).toContain(',');
    const other = await (await as('alpha-admin')).get('/ui/workspaces/beta/bill.csv');
    expect(other.status).toBe(404);
  });
});

describe('dashboard forms act through the API as the user', () => {
  it('silences an alert for the chosen duration, audited under the user', async () => {
    const browser = await as('alpha-viewer');
    const fingerprint = await fingerprintOf('AlphaDown', 'alpha-web');
    // A workspace viewer may see the alert but not silence it: the API says 403.
    const refused = await browser.post('/ui/alerts/silence', {
      _csrf: browser.csrf,
      fingerprint,
      cluster: 'east',
      duration: '4h',
      comment: 'not mine',
    });
    expect(refused.status).toBe(403);

    const admin = await as('admin');
    const before = Date.now();
    const res = await admin.post('/ui/alerts/silence', {
      _csrf: admin.csrf,
      fingerprint,
      cluster: 'east',
      duration: '4h',
      comment: 'deploying a fix',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/ui\/alerts\?notice=silenced&until=/);
    const after = await admin.get(res.headers.get('location')!);
    const html = await after.text();
    expect(html).toContain('Silenced until');
    expect(html).toContain('deploying a fix');
    const silences = (await api('GET', '/api/v2/silences', fx.as('admin'))).body as {
      createdBy: string;
      comment: string;
      endsAt: string;
      matchers: { name: string; value: string }[];
    }[];
    const made = silences.find((s) => s.comment === 'deploying a fix')!;
    expect(made.createdBy).toBe('admin');
    expect(made.matchers).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'namespace', value: 'alpha-web' })]),
    );
    const hours = (Date.parse(made.endsAt) - before) / 3600_000;
    expect(hours).toBeGreaterThan(3.99);
    expect(hours).toBeLessThan(4.01);
    const overview = await page('admin', '/ui');
    expect(overview.html).toContain('data-live-firing="total">2');
    const audit = await api('GET', '/api/v1/audit?resource=silences', fx.as('admin'));
    expect((audit.body as { items: { user: string; outcome: string }[] }).items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ user: 'admin', outcome: 'success' }),
        expect.objectContaining({ user: 'alpha-viewer', outcome: 'denied' }),
      ]),
    );
  });

  it('lists the channels and receivers the user may see, with a test button per channel', async () => {
    const channel = await api('POST', '/api/v1/notification/channels', fx.as('alpha-admin'), {
      name: 'alpha-hook',
      type: 'webhook',
      config: { url: 'https://hooks.example.com/alpha' },
      workspace: 'alpha',
    });
    expect(channel.status).toBe(201);
    const receiver = await api('POST', '/api/v1/notification/receivers', fx.as('alpha-admin'), {
      name: 'alpha-oncall',
      channels: ['alpha-hook'],
      workspace: 'alpha',
    });
    expect(receiver.status).toBe(201);
    const mine = await page('alpha-admin', '/ui/alerts');
    expect(mine.html).toContain('alpha-hook');
    expect(mine.html).toContain('alpha-oncall');
    expect(mine.html).toContain('action="/ui/alerts/channels/test"');
    expect(mine.html).toContain(`value="${(channel.body as { id: string }).id}"`);
    // The URL is a secret field: never on the page.
    expect(mine.html).not.toContain('hooks.example.com');
    const theirs = await page('beta-admin', '/ui/alerts');
    expect(theirs.html).not.toContain('alpha-hook');
    expect(theirs.html).not.toContain('alpha-oncall');
    const stranger = await as('beta-admin');
    const test = await stranger.post('/ui/alerts/channels/test', {
      _csrf: stranger.csrf,
      id: (channel.body as { id: string }).id,
      name: 'alpha-hook',
    });
    expect(test.status).toBe(404);
  });

  it('refuses to silence an alert the user cannot see (404) and bad durations (400)', async () => {
    const browser = await as('beta-viewer');
    const res = await browser.post('/ui/alerts/silence', {
      _csrf: browser.csrf,
      fingerprint: await fingerprintOf('AlphaSlow', 'alpha-db'),
      cluster: 'west',
      duration: '1h',
      comment: 'x',
    });
    expect(res.status).toBe(404);
    const bad = await browser.post('/ui/alerts/silence', {
      _csrf: browser.csrf,
      fingerprint: 'f'.repeat(16),
      duration: '1y',
      comment: 'x',
    });
    expect(bad.status).toBe(400);
  });

  it('registers a cluster and shows the join token, agent command and manifest once', async () => {
    const admin = await as('admin');
    const res = await admin.post('/ui/clusters', {
      _csrf: admin.csrf,
      name: 'north',
      description: 'new site',
    });
    // Post/redirect/get: the token travels sealed to the page that shows it once.
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/clusters/north/join');
    const shown = await admin.get('/ui/clusters/north/join');
    const html = await shown.text();
    const token = /<pre id="token" class="wrap" tabindex="0">([^<]+)<\/pre>/.exec(html)?.[1];
    expect(token).toMatch(/^etj_/);
    expect(html).toContain(`npm run agent -- --hub https://edge.test --token ${token}`);
    expect(html).toContain('kind: Deployment');
    expect(html).toContain('data-copy="token"');
    // A reload shows it no more (and never registers or rotates again).
    const again = await (await admin.get('/ui/clusters/north/join')).text();
    expect(again).not.toContain(token);
    expect(again).toContain('already shown');
    const dup = await admin.post('/ui/clusters', { _csrf: admin.csrf, name: 'north' });
    expect(dup.status).toBe(409);
    expect(await dup.text()).toContain('already exists');
    const viewer = await as('alpha-viewer');
    const denied = await viewer.post('/ui/clusters', { _csrf: viewer.csrf, name: 'mine' });
    expect(denied.status).toBe(403);
  });

  it('rotates the join token for cluster admins only', async () => {
    const eastAdmin = await as('east-admin');
    const res = await eastAdmin.post('/ui/clusters/east/join-token', { _csrf: eastAdmin.csrf });
    expect(res.status).toBe(303);
    expect(await (await eastAdmin.get(res.headers.get('location')!)).text()).toMatch(
      /<pre id="token" class="wrap" tabindex="0">etj_[\w-]+<\/pre>/,
    );
    const viewer = await as('east-viewer');
    const denied = await viewer.post('/ui/clusters/east/join-token', { _csrf: viewer.csrf });
    expect(denied.status).toBe(403);
    const stranger = await as('regular');
    const hidden = await stranger.post('/ui/clusters/east/join-token', { _csrf: stranger.csrf });
    expect(hidden.status).toBe(404);
  });

  it('validates the edge-node join form before asking the cluster', async () => {
    const admin = await as('admin');
    const res = await admin.post(
      '/ui/clusters/west/edge-join',
      { _csrf: admin.csrf, nodeName: 'Bad Name', nodeIp: 'nope' },
      { accept: 'text/html' },
    );
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('nodeName');
  });

  it('keeps everything behind sign-in', async () => {
    for (const path of ['/ui', '/ui/alerts', '/ui/workspaces', '/ui/audit']) {
      const res = await fetchWorker(path, { redirect: 'manual' });
      expect(res.status).toBe(303);
    }
  });
});
