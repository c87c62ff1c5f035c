import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { apps } from '../../db/schema';
import type { Overview } from '../../functions/overview/schemas';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
let agent: TestAgent;

const node = (name: string, ready: boolean, edge: boolean) => ({
  name,
  ready,
  edge,
  roles: edge ? ['edge'] : ['worker'],
  kubeletVersion: 'v1.31.0',
  capacity: { cpu: '4' },
  allocatable: { cpu: '4' },
  addresses: [],
  unschedulable: false,
});

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/amd64' },
  nodes: [node('east-1', true, false), node('east-2', true, false), node('kiosk-1', false, true)],
  namespaces: [],
  events: [],
};

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();
const alert = (labels: Record<string, string>) => ({
  labels,
  annotations: { summary: `${labels.alertname} fired` },
  startsAt: new Date().toISOString(),
  endsAt: inAnHour(),
});

async function overviewAs(persona: Parameters<Fixture['as']>[0]): Promise<Overview> {
  const res = await api('GET', '/api/v1/overview', fx.as(persona));
  expect(res.status).toBe(200);
  return res.body as Overview;
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  expect(rotated.status).toBe(200);
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-agent');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  const posted = await api('POST', '/api/v2/alerts', fx.as('admin'), [
    alert({ alertname: 'PodCrash', cluster: 'east', namespace: 'alpha-web', severity: 'critical' }),
    alert({
      alertname: 'PodPending',
      cluster: 'east',
      namespace: 'alpha-web',
      severity: 'warning',
    }),
    alert({ alertname: 'DiskSlow', cluster: 'west', namespace: 'alpha-db', severity: 'warning' }),
    alert({ alertname: 'PodCrash', cluster: 'east', namespace: 'beta-web', severity: 'critical' }),
    alert({ alertname: 'NodeHot', cluster: 'east', severity: 'warning' }),
    alert({ alertname: 'Quiet', cluster: 'west', namespace: 'beta-db' }),
    alert({ alertname: 'Muted', cluster: 'east', namespace: 'alpha-web', severity: 'info' }),
  ]);
  expect(posted.status).toBe(200);
  const silence = await api('POST', '/api/v2/silences', fx.as('admin'), {
    matchers: [{ name: 'alertname', value: 'Muted', isRegex: false }],
    startsAt: new Date().toISOString(),
    endsAt: inAnHour(),
    createdBy: 'admin',
    comment: 'known',
  });
  expect(silence.status).toBe(200);
});

describe('GET /api/v1/overview', () => {
  it('gives a platform admin every cluster with live status, node counts and alerts by severity', async () => {
    const body = await overviewAs('admin');
    expect(body.clusters.map((c) => c.name)).toEqual(['east', 'west']);
    const [east, west] = body.clusters;
    expect(east).toMatchObject({
      status: 'connected',
      kubernetesVersion: 'v1.31.0',
      nodes: { total: 3, ready: 2, edge: 1 },
      firingAlerts: 4,
    });
    expect(west).toMatchObject({ status: 'pending', nodes: { total: 0, ready: 0, edge: 0 } });
    expect(west?.firingAlerts).toBe(2);
    expect(body.totals).toEqual({
      clusters: { total: 2, connected: 1, disconnected: 0, pending: 1 },
      nodes: { total: 3, ready: 2, edge: 1 },
    });
    expect(body.alerts).toEqual({
      firing: 6,
      suppressed: 1,
      bySeverity: { critical: 2, warning: 3, none: 1 },
    });
    expect(body.clustersTruncated).toBe(false);
    expect(body.spend).toBeNull();
    expect(Date.parse(body.generatedAt)).not.toBeNaN();
  });

  it("shows a workspace viewer only their workspace's clusters and alerts", async () => {
    const alpha = await overviewAs('alpha-viewer');
    // alpha has a namespace in both clusters, so both are visible...
    expect(alpha.clusters.map((c) => c.name)).toEqual(['east', 'west']);
    // ...but only alpha's alerts: not beta's, not the cluster-level NodeHot.
    expect(alpha.alerts).toEqual({
      firing: 3,
      suppressed: 1,
      bySeverity: { critical: 1, warning: 2 },
    });
    expect(alpha.clusters.map((c) => c.firingAlerts)).toEqual([2, 1]);

    const beta = await overviewAs('beta-viewer');
    expect(beta.alerts).toEqual({
      firing: 2,
      suppressed: 0,
      bySeverity: { critical: 1, none: 1 },
    });
  });

  it('scopes a namespace role to its namespace and a cluster role to its cluster', async () => {
    const project = await overviewAs('proj-viewer');
    expect(project.clusters.map((c) => c.name)).toEqual(['east']);
    expect(project.alerts.firing).toBe(2);

    const eastViewer = await overviewAs('east-viewer');
    expect(eastViewer.clusters.map((c) => c.name)).toEqual(['east']);
    expect(eastViewer.alerts.firing).toBe(4);
    expect(eastViewer.totals.nodes).toEqual({ total: 3, ready: 2, edge: 1 });
  });

  it('shows a user without roles nothing', async () => {
    const body = await overviewAs('regular');
    expect(body.clusters).toEqual([]);
    expect(body.totals.clusters.total).toBe(0);
    expect(body.alerts).toEqual({ firing: 0, suppressed: 0, bySeverity: {} });
  });

  it('answers 401 in the one error shape without a token', async () => {
    const res = await fetchWorker('/api/v1/overview');
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ code: 'unauthorized', requestId: expect.any(String) });
  });
});

describe('needs attention', () => {
  it('orders problems for triage; leaves out Watchdog-style and silenced alerts; carries links', async () => {
    const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
    const posted = await api('POST', '/api/v2/alerts', fx.as('admin'), [
      {
        labels: {
          alertname: 'OldCritical',
          cluster: 'east',
          namespace: 'alpha-web',
          pod: 'web-1',
          severity: 'critical',
        },
        annotations: {
          summary: 'web-1 keeps crashing',
          description: 'Restarted 12 times in 10 minutes.',
          runbook_url: 'https://runbooks.example.com/pod-crash',
        },
        generatorURL: 'https://prometheus.example.com/graph?g0.expr=up',
        startsAt: ago(45),
        endsAt: inAnHour(),
      },
      // Heartbeats and script-carrying links never count.
      {
        labels: { alertname: 'Watchdog', cluster: 'east', severity: 'critical' },
        annotations: { runbook_url: 'javascript:alert(1)' },
        startsAt: ago(600),
        endsAt: inAnHour(),
      },
      {
        labels: {
          alertname: 'Muted',
          cluster: 'east',
          namespace: 'alpha-web',
          severity: 'critical',
        },
        annotations: {},
        startsAt: ago(600),
        endsAt: inAnHour(),
      },
    ]);
    expect(posted.status).toBe(200);
    const { attention, clusters } = await overviewAs('admin');
    const lines = attention.map((a) => `${a.kind}:${a.severity}:${a.title}`);
    // Nodes not ready first, then critical alerts oldest first, then warnings.
    expect(lines[0]).toBe('nodes-not-ready:critical:east');
    expect(lines[1]).toBe('alert:critical:OldCritical');
    const firstWarning = lines.findIndex((l) => l.startsWith('alert:warning'));
    const lastCritical = lines.findLastIndex((l) => l.startsWith('alert:critical'));
    expect(lastCritical).toBeLessThan(firstWarning);
    expect(lines.join()).not.toContain('Watchdog');
    expect(lines.join()).not.toContain('Muted');
    expect(lines.join()).not.toContain('Quiet');
    const old = attention[1]!;
    expect(old).toMatchObject({
      labels: { cluster: 'east', namespace: 'alpha-web', pod: 'web-1' },
      summary: 'web-1 keeps crashing',
      description: 'Restarted 12 times in 10 minutes.',
      runbookUrl: 'https://runbooks.example.com/pod-crash',
      sourceUrl: 'https://prometheus.example.com/graph?g0.expr=up',
    });
    // Connected with critical alerts and a node down is not green.
    expect(clusters.find((c) => c.name === 'east')).toMatchObject({
      status: 'connected',
      health: 'critical',
    });
    expect(clusters.find((c) => c.name === 'west')?.health).toBe('pending');
  });

  it("a workspace viewer's list holds only what they may see", async () => {
    const { attention } = await overviewAs('beta-viewer');
    const titles = attention.map((a) => a.title);
    expect(titles).not.toContain('OldCritical');
    expect(
      attention.every((a) => a.kind !== 'alert' || a.labels.namespace?.startsWith('beta')),
    ).toBe(true);
  });

  it('a disconnected cluster comes first, with the time of its last data', async () => {
    agent.ws.close(1000, 'test');
    let disconnected: Overview['clusters'][number] | undefined;
    for (let i = 0; i < 50 && disconnected?.status !== 'disconnected'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      disconnected = (await overviewAs('admin')).clusters.find((c) => c.name === 'east');
    }
    expect(disconnected).toMatchObject({ status: 'disconnected', health: 'disconnected' });
    const { attention } = await overviewAs('admin');
    expect(attention[0]).toMatchObject({ kind: 'cluster-disconnected', title: 'east' });
    expect(attention[0]?.since).toBe(disconnected?.lastSeen);
    // Its nodes are unknown now: no "nodes not ready" line from stale counts.
    expect(attention.some((a) => a.kind === 'nodes-not-ready' && a.title === 'east')).toBe(false);
  });
});

describe('halted apps in needs attention', () => {
  it("lists a halted rollout for its workspace's members, after cluster lines, and not for other tenants", async () => {
    const db = createDb(env.DB);
    const now = new Date();
    await db.insert(apps).values({
      workspaceId: fx.ids.workspaces.alpha,
      name: 'shop',
      namespace: 'alpha-web',
      generation: 2,
      spec: { placement: { clusters: ['east', 'west'] }, nodes: 'any' },
      manifests: [],
      editorUser: 'alpha-admin',
      editorGroups: [],
      halted: { generation: 2, cluster: 'west', message: 'Deployment web not ready in 300s' },
      deleteTimeoutSeconds: 300,
      updatedAt: now,
    });
    const halted = (o: Overview) => o.attention.filter((a) => a.kind === 'app-halted');

    for (const persona of ['admin', 'alpha-viewer', 'proj-viewer'] as const) {
      const body = await overviewAs(persona);
      expect(halted(body)).toEqual([
        expect.objectContaining({
          severity: 'critical',
          title: 'shop',
          labels: { workspace: 'alpha', app: 'shop', cluster: 'west' },
          summary: 'Deployment web not ready in 300s',
        }),
      ]);
      // Cluster problems first, then the halted app, then alerts.
      const kinds = body.attention.map((a) => a.kind);
      const at = kinds.indexOf('app-halted');
      expect(kinds.slice(0, at).every((k) => k !== 'alert')).toBe(true);
      expect(kinds.slice(at + 1).every((k) => k === 'alert')).toBe(true);
    }
    for (const persona of ['beta-viewer', 'beta-admin', 'regular'] as const)
      expect(halted(await overviewAs(persona))).toEqual([]);
  });

  it('leaves out a halt of an older generation (the app was edited since)', async () => {
    const db = createDb(env.DB);
    await db
      .update(apps)
      .set({ generation: 3 })
      .where(eq(apps.workspaceId, fx.ids.workspaces.alpha));
    const body = await overviewAs('admin');
    expect(body.attention.some((a) => a.kind === 'app-halted')).toBe(false);
  });
});
