import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InventorySnapshot } from '../../protocol/inventory';
import type { RequestFrame } from '../../protocol/tunnel';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';
import { type Answer, matrix, paramsOf, serveRequests, vector } from './support/monitoring-agent';

let fx: Fixture;
let agent: TestAgent;
let server: ReturnType<typeof serveRequests>;

const node = (name: string, edge: boolean, ip: string, cpu: string, memory: string) => ({
  name,
  ready: true,
  edge,
  roles: edge ? ['agent', 'edge'] : ['worker'],
  kubeletVersion: edge ? 'v1.29.5-kubeedge-v1.17.0' : 'v1.31.0',
  capacity: { cpu, memory },
  allocatable: { cpu, memory },
  addresses: [{ type: 'InternalIP', address: ip }],
  unschedulable: false,
});

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/amd64' },
  nodes: [
    node('cloud-1', false, '10.0.0.1', '4', '8Gi'),
    node('edge-1', true, '192.168.1.10', '2', '4Gi'),
    node('edge-10', true, '192.168.1.11', '2', '4Gi'),
  ],
  namespaces: [],
  events: [],
};

/** What the fake cluster has: metrics-server and node-exporter, each switchable. */
const cluster = { metricsServer: true, nodeExporter: true, streamOff: true };

const notFoundStatus = (message: string) => ({
  status: 404,
  body: { kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404, message },
});

function kube(frame: RequestFrame): Answer {
  const path = frame.path.split('?')[0] ?? '';
  if (path.startsWith('/apis/metrics.k8s.io/')) {
    if (!cluster.metricsServer)
      return notFoundStatus(`the server could not find the requested resource (${path})`);
    const items = [
      {
        metadata: { name: 'cloud-1' },
        timestamp: '2026-12-03T10:00:00Z',
        usage: { cpu: '1500m', memory: '2Gi' },
      },
      {
        metadata: { name: 'edge-1' },
        timestamp: '2026-12-03T10:00:00Z',
        usage: { cpu: '250000000n', memory: '1Gi' },
      },
    ];
    if (path.endsWith('/nodes')) return { status: 200, body: { kind: 'NodeMetricsList', items } };
    const one = items.find((i) => path.endsWith(`/nodes/${i.metadata.name}`));
    return one ? { status: 200, body: one } : notFoundStatus('nodes.metrics.k8s.io "x" not found');
  }
  if (path === '/api/v1/nodes/edge-1')
    return {
      status: 200,
      body: {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'EdgeReady',
              lastTransitionTime: '2026-12-01T00:00:00Z',
            },
            { type: 'MemoryPressure', status: 'False' },
          ],
        },
      },
    };
  const pod = /^\/api\/v1\/namespaces\/alpha-web\/pods\/([a-z0-9-]+)(\/log)?$/.exec(path);
  if (pod?.[2] && cluster.streamOff)
    return {
      status: 500,
      body: {
        kind: 'Status',
        status: 'Failure',
        reason: 'InternalError',
        code: 500,
        message: `Get "https://192.168.1.10:10350/containerLogs/alpha-web/${pod[1]}/main": dial tcp 192.168.1.10:10350: connect: connection refused`,
      },
    };
  if (pod?.[2]) return { status: 200, body: 'a log line' };
  if (pod)
    return {
      status: 200,
      body: { spec: { nodeName: pod[1] === 'on-edge' ? 'edge-1' : 'cloud-1' } },
    };
  return notFoundStatus('nothing here');
}

function prometheus(frame: RequestFrame): Answer {
  const query = paramsOf(frame).get('query') ?? '';
  if (!cluster.nodeExporter) return { status: 200, body: vector([]) };
  if (frame.path.startsWith('/api/v1/query_range'))
    return {
      status: 200,
      body: matrix([
        {
          metric: {},
          values: [
            [1000, '0.25'],
            [1060, query.includes('cpu') ? '0.5' : '0.3'],
          ],
        },
      ]),
    };
  const value = (cloud: number, edge: number) =>
    vector([
      { metric: { instance: 'cloud-1', node: 'cloud-1' }, value: [1000, String(cloud)] },
      // kube-prometheus-less scrape: the edge node's exporter by address and port
      { metric: { instance: '192.168.1.10:9100' }, value: [1000, String(edge)] },
    ]);
  if (query.includes('node_filesystem_size_bytes'))
    return { status: 200, body: value(100e9, 32e9) };
  if (query.includes('node_filesystem_avail_bytes')) return { status: 200, body: value(60e9, 8e9) };
  if (query.includes('receive')) return { status: 200, body: value(1000, 10) };
  return { status: 200, body: value(2000, 20) };
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-agent');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  server = serveRequests(agent, (frame) =>
    frame.target === 'kube' ? kube(frame) : prometheus(frame),
  );
});
afterAll(async () => {
  await server.stop();
});

interface Figures {
  name: string;
  cpu: { usedCores: number; ratio: number } | null;
  memory: { usedBytes: number; ratio: number } | null;
  disk: { usedBytes: number; totalBytes: number } | null;
  network: { receiveBytesPerSecond: number; transmitBytesPerSecond: number } | null;
  missing: Record<string, string>;
}
const list = async (who: Parameters<Fixture['as']>[0] = 'east-viewer') =>
  api('GET', '/api/v1/clusters/east/nodes/metrics', fx.as(who));
const byName = (body: unknown) =>
  new Map(((body as { items: Figures[] }).items ?? []).map((f) => [f.name, f]));

describe('node metrics', () => {
  it('gives cpu and memory from metrics.k8s.io and disk and network from node-exporter, edge nodes included', async () => {
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      live: true,
      sources: { metricsServer: { ok: true }, nodeExporter: { ok: true } },
    });
    const nodes = byName(res.body);
    expect(nodes.get('cloud-1')).toMatchObject({
      cpu: { usedCores: 1.5, capacityCores: 4, ratio: 0.375 },
      memory: { usedBytes: 2 * 2 ** 30, capacityBytes: 8 * 2 ** 30, ratio: 0.25 },
      disk: { usedBytes: 40e9, totalBytes: 100e9, ratio: 0.4 },
      network: { receiveBytesPerSecond: 1000, transmitBytesPerSecond: 2000 },
      missing: {},
    });
    expect(nodes.get('edge-1')).toMatchObject({
      edge: true,
      cpu: { usedCores: 0.25, ratio: 0.125 },
      disk: { usedBytes: 24e9, totalBytes: 32e9 },
      network: { receiveBytesPerSecond: 10, transmitBytesPerSecond: 20 },
    });
    // No sample for edge-10: null with a reason, never 0.
    expect(nodes.get('edge-10')).toMatchObject({
      cpu: null,
      memory: null,
      disk: null,
      network: null,
    });
    expect(nodes.get('edge-10')?.missing.cpu).toMatch(/no sample of this edge node/);
    const metricsCall = server.seen.find((f) => f.path.startsWith('/apis/metrics.k8s.io'));
    // Read as the caller with the node-metrics group only, never the admin group.
    expect(metricsCall?.impersonate).toEqual({
      user: 'east-viewer',
      groups: ['edgetower:node-metrics'],
    });
  });

  it('says why when metrics-server or node-exporter are absent (null, never 0)', async () => {
    cluster.metricsServer = false;
    cluster.nodeExporter = false;
    try {
      const res = await list();
      expect(res.status).toBe(200);
      const cloud = byName(res.body).get('cloud-1');
      expect(cloud).toMatchObject({ cpu: null, memory: null, disk: null, network: null });
      expect(cloud?.missing.cpu).toMatch(/metrics-server is not installed/);
      expect(cloud?.missing.disk).toMatch(/no node-exporter metrics/);
      expect(res.body).toMatchObject({
        sources: { metricsServer: { ok: false }, nodeExporter: { ok: true } },
      });
    } finally {
      cluster.metricsServer = true;
      cluster.nodeExporter = true;
    }
  });

  it('answers one node with its conditions and history', async () => {
    const res = await api(
      'GET',
      '/api/v1/clusters/east/nodes/edge-1/metrics?history=6h',
      fx.as('east-admin'),
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      node: {
        name: 'edge-1',
        edge: true,
        conditions: [
          { type: 'Ready', status: 'True', reason: 'EdgeReady' },
          { type: 'MemoryPressure' },
        ],
      },
      figures: { cpu: { usedCores: 0.25 } },
      history: {
        cpu: [
          [1000, 0.25],
          [1060, 0.5],
        ],
        memory: [
          [1000, 0.25],
          [1060, 0.3],
        ],
      },
      historyMissing: null,
    });
    const history = server.seen.filter((f) => f.path.startsWith('/api/v1/query_range'));
    const sent = paramsOf(history.at(-1) as RequestFrame);
    expect(sent.get('step')).toBe('360');
    expect(sent.get('query')).toContain('node="edge-1"');
    // edge-10 sorts right after edge-1: the exact node is found, not its neighbour.
    const ten = await api(
      'GET',
      '/api/v1/clusters/east/nodes/edge-10/metrics',
      fx.as('east-admin'),
    );
    expect(ten.body).toMatchObject({ node: { name: 'edge-10' } });
    expect(
      (await api('GET', '/api/v1/clusters/east/nodes/edge-2/metrics', fx.as('east-admin'))).status,
    ).toBe(404);
    expect(
      (
        await api(
          'GET',
          '/api/v1/clusters/east/nodes/edge-1/metrics?history=9y',
          fx.as('east-admin'),
        )
      ).status,
    ).toBe(400);
  });

  it('is for whoever may list the cluster nodes', async () => {
    expect((await list('alpha-admin')).status).toBe(403);
    expect((await list('proj-viewer')).status).toBe(403);
    expect((await list('regular')).status).toBe(404);
    expect((await list('beta-viewer')).status).toBe(403);
    expect(
      (await api('GET', '/api/v1/clusters/west/nodes/metrics', fx.as('east-admin'))).status,
    ).toBe(404);
  });
});

describe('edge node logs', () => {
  const logs = (pod: string) =>
    fetchWorker(`/clusters/east/k8s/api/v1/namespaces/alpha-web/pods/${pod}/log?tailLines=10`, {
      headers: fx.as('east-admin'),
    });

  it('names a disabled KubeEdge stream for pods on edge nodes (502 edge_stream_disabled)', async () => {
    const res = await logs('on-edge');
    expect(res.status).toBe(502);
    const body = (await res.json()) as { code: string; message: string };
    expect(body.code).toBe('edge_stream_disabled');
    expect(body.message).toMatch(/edge node "edge-1"/);
    expect(body.message).toMatch(/cloudStream/);
    // The pod was looked up as the same caller.
    const lookup = server.seen.findLast(
      (f) => f.path === '/api/v1/namespaces/alpha-web/pods/on-edge',
    );
    expect(lookup?.impersonate?.user).toBe('east-admin');
  });

  it('passes the same failure through untouched for pods on cloud nodes, and logs when the stream is on', async () => {
    const cloud = await logs('on-cloud');
    expect(cloud.status).toBe(500);
    expect(await cloud.text()).toMatch(/connection refused/);
    cluster.streamOff = false;
    try {
      const on = await logs('on-edge');
      expect(on.status).toBe(200);
      expect(await on.text()).toContain('a log line');
    } finally {
      cluster.streamOff = true;
    }
  });
});

describe('a disconnected cluster', () => {
  it('shows the last figures with their time, never made-up ones', async () => {
    const live = await list();
    const collectedAt = (live.body as { collectedAt: string }).collectedAt;
    await server.stop();
    agent.ws.close(1000, 'bye');
    let res = await list();
    for (let i = 0; i < 50 && (res.body as { live?: boolean }).live !== false; i++) {
      await new Promise((r) => setTimeout(r, 50));
      res = await list();
    }
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ live: false, collectedAt });
    expect(byName(res.body).get('cloud-1')).toMatchObject({ cpu: { usedCores: 1.5 } });
    const one = await api(
      'GET',
      '/api/v1/clusters/east/nodes/cloud-1/metrics',
      fx.as('east-viewer'),
    );
    expect(one.status).toBe(200);
    // Never read while connected: no figures, and said so.
    expect(one.body).toMatchObject({ live: false, collectedAt: null, figures: { cpu: null } });
    expect((one.body as { figures: Figures }).figures.missing.cpu).toMatch(/disconnected/);
  });
});
