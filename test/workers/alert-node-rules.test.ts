import { runDurableObjectAlarm } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { nodeThresholdsMs } from '../../functions/alerting/node-rules';
import { clusterShard } from '../../functions/alerting/shards';
import { minorOf, versionSkew } from '../../functions/alerting/version-skew-rule';
import type { NodeSummary } from '../../protocol/inventory';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { adminToken, bearer } from './support/auth';
import { registerCluster } from './support/cluster-tunnel';
import { api } from './support/fixture';

let admin: Record<string, string>;

beforeAll(async () => {
  admin = bearer(await adminToken());
});
afterEach(() => vi.useRealTimers());

const register = (name: string) => registerCluster(admin, name);

interface ListedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string };
}

/** Active alerts of `cluster` as "alertname/node" (or just alertname), sorted. */
const firing = async (cluster: string, alertname?: string) =>
  ((await api('GET', '/api/v2/alerts', admin)).body as ListedAlert[])
    .filter((a) => a.labels.cluster === cluster && (!alertname || a.labels.alertname === alertname))
    .map((a) => [a.labels.alertname, a.labels.node].filter(Boolean).join('/'))
    .sort();

const node = (name: string, ready: boolean, extra: Partial<NodeSummary> = {}): NodeSummary => ({
  name,
  ready,
  edge: false,
  roles: [],
  kubeletVersion: 'v1.30.2',
  capacity: {},
  allocatable: {},
  addresses: [],
  unschedulable: false,
  ...extra,
});

const cluster = { kubernetesVersion: 'v1.30.2', platform: 'linux/amd64' };

/** An inventory snapshot of `nodes` (no namespaces or events), as the agent sends on connect. */
const sendSnapshot = (agent: TestAgent, seq: number, nodes: NodeSummary[]) =>
  agent.send({
    type: 'inventory',
    update: { type: 'snapshot', seq, cluster, nodes, namespaces: [], events: [] },
  });

/** Rings the tunnel's alarm at `at`, the agent heard from just before (so liveness keeps it). */
async function alarmAt(stub: DurableObjectStub, agent: TestAgent, at: number): Promise<void> {
  vi.setSystemTime(at);
  // A pong wakes the tunnel (a ping would be auto-answered by the runtime, on the real clock).
  await agent.send({ type: 'pong' });
  await runDurableObjectAlarm(stub);
}

describe('built-in rules: NodeNotReady and EdgeNodeOffline', () => {
  it('fire once a node is not ready past the threshold and resolve when it is ready again or gone', async () => {
    const { joinToken, stub } = await register('nodes-fading');
    const agent = await connectAgent(joinToken);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    await sendSnapshot(agent, 1, [
      node('cp-1', true),
      node('worker-1', false),
      node('edge-1', false, { edge: true }),
    ]);

    await alarmAt(stub, agent, t0 + 30_000);
    expect(await firing('nodes-fading')).toEqual([]);

    await alarmAt(stub, agent, t0 + 61_000);
    expect(await firing('nodes-fading')).toEqual([
      'EdgeNodeOffline/edge-1',
      'NodeNotReady/worker-1',
    ]);
    const [edge] = ((await api('GET', '/api/v2/alerts', admin)).body as ListedAlert[]).filter(
      (a) => a.labels.alertname === 'EdgeNodeOffline' && a.labels.cluster === 'nodes-fading',
    );
    expect(edge?.labels).toMatchObject({ node: 'edge-1', severity: 'warning' });
    expect(edge?.annotations.summary).toContain('edge-1');
    expect(Date.parse(edge?.startsAt ?? '')).toBe(t0);

    // Fires once, however often the alarm rings.
    await alarmAt(stub, agent, t0 + 90_000);
    expect(await firing('nodes-fading')).toEqual([
      'EdgeNodeOffline/edge-1',
      'NodeNotReady/worker-1',
    ]);

    await agent.send({
      type: 'inventory',
      update: { type: 'delta', seq: 2, nodes: { upserts: [node('worker-1', true)], deletes: [] } },
    });
    await vi.waitFor(async () =>
      expect(await firing('nodes-fading')).toEqual(['EdgeNodeOffline/edge-1']),
    );
    await agent.send({
      type: 'inventory',
      update: { type: 'delta', seq: 3, nodes: { upserts: [], deletes: ['edge-1'] } },
    });
    await vi.waitFor(async () => expect(await firing('nodes-fading')).toEqual([]));
    agent.ws.close();
  });

  it('counts from the Ready condition’s lastTransition and never fires for a node that recovered in time', async () => {
    const { joinToken, stub } = await register('nodes-flapping');
    const agent = await connectAgent(joinToken);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    await sendSnapshot(agent, 1, [
      node('long-gone', false, { lastTransition: new Date(t0 - 600_000).toISOString() }),
      node('blip', false),
    ]);
    await alarmAt(stub, agent, t0 + 1000);
    expect(await firing('nodes-flapping')).toEqual(['NodeNotReady/long-gone']);

    // blip recovers within the minute: the snapshot that no longer lists it as not ready cancels its timer.
    await sendSnapshot(agent, 2, [node('long-gone', false), node('blip', true)]);
    await alarmAt(stub, agent, t0 + 120_000);
    expect(await firing('nodes-flapping')).toEqual(['NodeNotReady/long-gone']);

    // A snapshot without the node resolves it.
    await sendSnapshot(agent, 3, []);
    await vi.waitFor(async () => expect(await firing('nodes-flapping')).toEqual([]));
    agent.ws.close();
  });

  it('resolves every node alert when the cluster is deleted', async () => {
    const { joinToken, stub } = await register('nodes-deleted');
    const agent = await connectAgent(joinToken);
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    await sendSnapshot(agent, 1, [node('worker-9', false)]);
    await alarmAt(stub, agent, t0 + 61_000);
    expect(await firing('nodes-deleted', 'NodeNotReady')).toEqual(['NodeNotReady/worker-9']);
    const { id } = (await env.DB.prepare(
      "SELECT id FROM clusters WHERE name = 'nodes-deleted'",
    ).first<{
      id: string;
    }>()) ?? { id: '' };
    expect((await api('DELETE', '/api/v1/clusters/nodes-deleted', admin)).status).toBe(204);
    // The cluster is gone from D1 (listing no longer visits it): ask its shard (by id) directly.
    const shard = env.ALERT_GROUPS.getByName(clusterShard(id));
    await vi.waitFor(async () =>
      expect(
        (await shard.listAlerts([])).filter((a) => a.labels.alertname === 'NodeNotReady'),
      ).toEqual([]),
    );
  });

  it('reads its thresholds from NODE_NOT_READY_ALERT_SECONDS and EDGE_NODE_OFFLINE_ALERT_SECONDS', () => {
    expect(nodeThresholdsMs({})).toEqual({ node: 60_000, edge: 60_000 });
    expect(
      nodeThresholdsMs({
        NODE_NOT_READY_ALERT_SECONDS: '120',
        EDGE_NODE_OFFLINE_ALERT_SECONDS: '600',
      }),
    ).toEqual({ node: 120_000, edge: 600_000 });
    expect(nodeThresholdsMs({ NODE_NOT_READY_ALERT_SECONDS: 'soon' }).node).toBe(60_000);
  });
});

describe('built-in rule: AgentVersionSkew', () => {
  it('compares major.minor with the edge and between agents, ignoring development builds', () => {
    expect(minorOf('v0.1.3')).toBe('0.1');
    expect(minorOf('1.12.0-rc.1')).toBe('1.12');
    expect(minorOf('test')).toBeUndefined();
    expect(versionSkew(['0.1.0', '0.1.7'], '0.1.2')).toBeUndefined();
    expect(versionSkew(['test', 'main'], '0.1.2')).toBeUndefined();
    expect(versionSkew(['0.2.0'], '0.1.2')).toContain('0.2.0');
    expect(versionSkew(['0.1.0'], 'dev')).toContain('0.1.0');
    expect(versionSkew([], '0.1.2')).toBeUndefined();
  });

  it('fires when an agent of another minor version connects and resolves when it leaves', async () => {
    const { AGENT_VERSION } = await import('../../protocol/agent-version');
    const [major, minor] = AGENT_VERSION.split('.').map(Number);
    const { joinToken } = await register('skewed');
    const current = await connectAgent(joinToken, 'agent-current', AGENT_VERSION);
    expect(await firing('skewed', 'AgentVersionSkew')).toEqual([]);

    const newer = await connectAgent(joinToken, 'agent-newer', `${major}.${(minor ?? 0) + 1}.0`);
    await vi.waitFor(async () =>
      expect(await firing('skewed', 'AgentVersionSkew')).toEqual(['AgentVersionSkew']),
    );
    const [alert] = ((await api('GET', '/api/v2/alerts', admin)).body as ListedAlert[]).filter(
      (a) => a.labels.alertname === 'AgentVersionSkew' && a.labels.cluster === 'skewed',
    );
    expect(alert?.labels.severity).toBe('warning');
    expect(alert?.annotations.description).toContain(`${major}.${(minor ?? 0) + 1}.0`);

    newer.ws.close(1000, 'rolled back');
    await newer.nextOf('closed');
    await vi.waitFor(async () => expect(await firing('skewed', 'AgentVersionSkew')).toEqual([]));
    current.ws.close();
  });
});
