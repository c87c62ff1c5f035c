import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ClusterTunnel } from '../../functions/tunnel/cluster-tunnel';
import type { InventorySnapshot } from '../../protocol/inventory';
import { CloseCodes, DEFAULT_STREAM_WINDOW, encodeData } from '../../protocol/tunnel';
import { connectAgent, openAgentSocket } from './support/agent-socket';
import { adminToken, bearer, call } from './support/auth';

let admin: Record<string, string>;

const snapshot = (seq = 1): InventorySnapshot => ({
  type: 'snapshot',
  seq,
  cluster: { kubernetesVersion: 'v1.30.2', platform: 'linux/amd64' },
  nodes: [
    {
      name: 'cp-1',
      ready: true,
      edge: false,
      roles: ['control-plane'],
      kubeletVersion: 'v1.30.2',
      capacity: { cpu: '4', memory: '16Gi', pods: '110' },
      allocatable: { cpu: '4', memory: '15Gi', pods: '110' },
      addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      unschedulable: false,
    },
    {
      name: 'edge-1',
      ready: false,
      edge: true,
      roles: ['agent', 'edge'],
      kubeletVersion: 'v1.30.2-kubeedge',
      capacity: { cpu: '2' },
      allocatable: { cpu: '2' },
      addresses: [],
      unschedulable: false,
    },
  ],
  namespaces: [
    {
      name: 'default',
      phase: 'Active',
      workloads: { deployments: 1, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 2 },
    },
  ],
  events: [],
});

async function register(name: string) {
  const res = await call('/api/v1/clusters', {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name, description: 'test', labels: { region: 'eu' } }),
  });
  expect(res.status).toBe(201);
  return (await res.json()) as {
    cluster: { name: string; status: string };
    joinToken: string;
    manifest: string;
  };
}

const status = async (name: string) => {
  const res = await call(`/api/v1/clusters/${name}`, { headers: admin });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    status: string;
    agents: number;
    lastSeen: string | null;
    kubernetesVersion: string | null;
    nodes: { total: number; ready: number; edge: number };
  };
};

/** The ClusterTunnel of a cluster, looked up the way the routes do (by the D1 id). */
async function tunnelStub(name: string): Promise<DurableObjectStub<ClusterTunnel>> {
  const row = await env.DB.prepare('SELECT id FROM clusters WHERE name = ?')
    .bind(name)
    .first<{ id: string }>();
  if (!row) throw new Error(`no cluster ${name}`);
  return env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(row.id));
}

beforeAll(async () => {
  admin = bearer(await adminToken());
});

describe('agent connection and liveness', () => {
  it('registers a cluster as pending, connects an agent, reports it connected', async () => {
    const reg = await register('live-1');
    expect(reg.joinToken).toMatch(/^etj_[\w-]{43}$/);
    expect(reg.cluster.status).toBe('pending');
    expect(reg.manifest).toContain(reg.joinToken);
    const stored = await env.DB.prepare('SELECT join_token_hash AS h FROM clusters WHERE name = ?')
      .bind('live-1')
      .first<{ h: string }>();
    expect(stored?.h).toMatch(/^[0-9a-f]{64}$/);
    expect(stored?.h).not.toContain(reg.joinToken);

    const agent = await connectAgent(reg.joinToken, 'pod-a');
    const s = await status('live-1');
    expect(s.status).toBe('connected');
    expect(s.agents).toBe(1);
    expect(s.lastSeen).not.toBeNull();

    const second = await connectAgent(reg.joinToken, 'pod-b');
    expect((await status('live-1')).agents).toBe(2);
    second.ws.close(1000, 'bye');
    agent.ws.close(1000, 'bye');
  });

  it('refuses sockets without a token, with a wrong token, or without an upgrade', async () => {
    expect((await openAgentSocket(undefined)).status).toBe(401);
    expect((await openAgentSocket('etj_not-a-real-token')).status).toBe(401);
    const reg = await register('live-2');
    const plain = await call('/agent/v1/connect', {
      headers: { authorization: `Bearer ${reg.joinToken}` },
    });
    expect(plain.status).toBe(426);
  });

  it('never lets an agent smuggle a proxy call through the connect route', async () => {
    const reg = await register('live-5');
    const agent = await connectAgent(reg.joinToken);
    const res = await exports.default.fetch('https://edge.test/agent/v1/connect', {
      headers: {
        upgrade: 'websocket',
        authorization: `Bearer ${reg.joinToken}`,
        'x-edgetower-proxy-call': JSON.stringify({
          target: 'kube',
          method: 'GET',
          path: '/api/v1/secrets',
          headers: [],
          impersonate: { user: 'x', groups: ['system:masters'] },
        }),
      },
    });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close();
    // The live agent was asked for nothing.
    await expect(agent.nextOf('request', 300)).rejects.toThrow();
    agent.ws.close();
  });

  it('goes disconnected once the last agent is silent past the liveness timeout, and the alarm drops it', async () => {
    const reg = await register('live-3');
    const agent = await connectAgent(reg.joinToken);
    expect((await status('live-3')).status).toBe('connected');
    const stub = await tunnelStub('live-3');
    // Age the socket's last heartbeat past 45 s, as if the agent had gone silent.
    await runInDurableObject(stub, (_instance, state) => {
      for (const ws of state.getWebSockets()) {
        const attachment = ws.deserializeAttachment() as { lastSeen: number };
        ws.serializeAttachment({ ...attachment, lastSeen: Date.now() - 46_000 });
      }
    });
    expect((await status('live-3')).status).toBe('disconnected');
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await agent.nextOf('closed')).code).toBe(CloseCodes.heartbeatTimeout);
    const after = await status('live-3');
    expect(after.status).toBe('disconnected');
    expect(after.agents).toBe(0);
    expect(after.lastSeen).not.toBeNull();
  });

  it('answers HEARTBEAT_REQUEST with the auto-response and counts it as liveness', async () => {
    const reg = await register('live-4');
    const agent = await connectAgent(reg.joinToken);
    agent.sendRaw('{"type":"ping"}');
    expect(await agent.next()).toEqual({ type: 'pong' });
    const stub = await tunnelStub('live-4');
    const autoResponded = await runInDurableObject(stub, (_i, state) =>
      state.getWebSocketAutoResponseTimestamp(state.getWebSockets()[0]!),
    );
    expect(autoResponded).toBeInstanceOf(Date);
    agent.ws.close();
  });
});

describe('malformed input from agents', () => {
  it('answers bad frames with ERROR frames and keeps the socket open', async () => {
    const reg = await register('bad-1');
    const agent = await connectAgent(reg.joinToken);
    agent.sendRaw('not json');
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'malformed' });
    agent.sendRaw('{"type":"teleport","id":7}');
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'unknown_type', id: 7 });
    agent.sendRaw('{"type":"response","id":-1,"status":"x"}');
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'malformed' });
    agent.sendRaw(new Uint8Array([9, 0, 0, 0, 1]));
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'unknown_type' });
    agent.sendRaw(new Uint8Array([1, 0]));
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'malformed' });
    // An agent may not send requests to the edge.
    await agent.send({
      type: 'request',
      id: 3,
      target: 'kube',
      method: 'GET',
      path: '/',
      headers: [],
      body: false,
      window: 1024,
    });
    expect(await agent.next()).toMatchObject({ type: 'error', code: 'unknown_type' });
    // Still alive and negotiated.
    await agent.send({ type: 'inventory', update: snapshot() });
    expect(await agent.nextOf('ack')).toEqual({ type: 'ack', seq: 1 });
    agent.ws.close();
  });

  it('requires HELLO first and closes on no common version', async () => {
    const reg = await register('bad-2');
    const res = await openAgentSocket(reg.joinToken);
    const ws = res.webSocket!;
    const frames: string[] = [];
    let closeCode = 0;
    ws.addEventListener('message', (e) => frames.push(e.data as string));
    const closed = new Promise<void>((resolve) =>
      ws.addEventListener('close', (e) => {
        closeCode = e.code;
        resolve();
      }),
    );
    const firstFrame = new Promise<void>((resolve) =>
      ws.addEventListener('message', () => resolve(), { once: true }),
    );
    ws.accept();
    ws.send(JSON.stringify({ type: 'inventory', update: snapshot() }));
    // The harness's sends can reach the object out of order (agent-socket.ts): wait for the answer first.
    await firstFrame;
    ws.send(JSON.stringify({ type: 'hello', versions: [99], agentId: 'x', agentVersion: '9' }));
    await closed;
    expect(JSON.parse(frames[0]!)).toMatchObject({ type: 'error', code: 'not_negotiated' });
    expect(JSON.parse(frames[1]!)).toMatchObject({ type: 'error', code: 'unsupported_version' });
    expect(closeCode).toBe(CloseCodes.unsupportedVersion);
  });
});

describe('inventory', () => {
  it('stores snapshot and deltas, asks for a resync on a gap', async () => {
    const reg = await register('inv-1');
    const agent = await connectAgent(reg.joinToken, 'leader');
    await agent.send({ type: 'inventory', update: snapshot(5) });
    expect(await agent.nextOf('ack')).toEqual({ type: 'ack', seq: 5 });
    let s = await status('inv-1');
    expect(s.kubernetesVersion).toBe('v1.30.2');
    expect(s.nodes).toEqual({ total: 2, ready: 1, edge: 1 });

    await agent.send({
      type: 'inventory',
      update: {
        type: 'delta',
        seq: 6,
        nodes: { upserts: [{ ...snapshot().nodes[1]!, ready: true }], deletes: ['cp-1'] },
      },
    });
    expect(await agent.nextOf('ack')).toEqual({ type: 'ack', seq: 6 });
    s = await status('inv-1');
    expect(s.nodes).toEqual({ total: 1, ready: 1, edge: 1 });

    await agent.send({ type: 'inventory', update: { type: 'delta', seq: 9 } });
    expect(await agent.nextOf('resync')).toMatchObject({ type: 'resync' });

    const nodes = await call('/api/v1/clusters/inv-1/nodes', { headers: admin });
    expect(nodes.status).toBe(200);
    expect(
      ((await nodes.json()) as { items: { name: string }[] }).items.map((n) => n.name),
    ).toEqual(['edge-1']);
    const edges = await call('/api/v1/clusters/inv-1/edge-nodes', { headers: admin });
    expect(((await edges.json()) as { items: { edge: boolean }[] }).items).toEqual([
      expect.objectContaining({ edge: true, ready: true }),
    ]);
    const namespaces = await call('/api/v1/clusters/inv-1/namespaces', { headers: admin });
    expect(await namespaces.json()).toMatchObject({
      items: [{ name: 'default', phase: 'Active' }],
    });
    agent.ws.close();
  });

  it('takes a 5,000-node / 2,000-namespace snapshot (Kubernetes scale limits) in one frame', async () => {
    const reg = await register('inv-big');
    const agent = await connectAgent(reg.joinToken);
    const base = snapshot();
    const node = base.nodes[0]!;
    const ns = base.namespaces[0]!;
    const big: InventorySnapshot = {
      ...base,
      nodes: Array.from({ length: 5000 }, (_, i) => ({
        ...node,
        name: `node-${String(i).padStart(4, '0')}`,
        ready: i % 10 !== 0,
        edge: i >= 4900,
      })),
      namespaces: Array.from({ length: 2000 }, (_, i) => ({
        ...ns,
        name: `ns-${String(i).padStart(4, '0')}`,
        workspace: `ws-${i % 7}`,
      })),
    };
    const started = Date.now();
    await agent.send({ type: 'inventory', update: big });
    expect(await agent.nextOf('ack', 20_000)).toEqual({ type: 'ack', seq: 1 });
    console.log(
      `5,000-node snapshot (${JSON.stringify(big).length} bytes) stored in ${Date.now() - started} ms`,
    );
    const s = await status('inv-big');
    expect(s.nodes).toEqual({ total: 5000, ready: 4500, edge: 100 });
    const page = (await (
      await call('/api/v1/clusters/inv-big/edge-nodes?limit=200', { headers: admin })
    ).json()) as {
      items: unknown[];
    };
    expect(page.items).toHaveLength(100);
    agent.ws.close();
  });

  it('pages node lists with limit and an opaque cursor', async () => {
    const reg = await register('inv-2');
    const agent = await connectAgent(reg.joinToken);
    const base = snapshot().nodes[0]!;
    await agent.send({
      type: 'inventory',
      update: {
        ...snapshot(),
        nodes: ['n-a', 'n-b', 'n-c'].map((name) => ({ ...base, name })),
      },
    });
    await agent.nextOf('ack');
    const first = (await (
      await call('/api/v1/clusters/inv-2/nodes?limit=2', { headers: admin })
    ).json()) as { items: { name: string }[]; nextCursor?: string };
    expect(first.items.map((n) => n.name)).toEqual(['n-a', 'n-b']);
    expect(first.nextCursor).toBeTruthy();
    const second = (await (
      await call(`/api/v1/clusters/inv-2/nodes?limit=2&cursor=${first.nextCursor}`, {
        headers: admin,
      })
    ).json()) as { items: { name: string }[]; nextCursor?: string };
    expect(second.items.map((n) => n.name)).toEqual(['n-c']);
    expect(second.nextCursor).toBeUndefined();
    expect((await call('/api/v1/clusters/inv-2/nodes?limit=500', { headers: admin })).status).toBe(
      400,
    );
    agent.ws.close();
  });
});

describe('proxied requests', () => {
  it('carries a GET to the agent with impersonation and without the caller token', async () => {
    const reg = await register('px-1');
    const agent = await connectAgent(reg.joinToken);
    const pending = call('/clusters/px-1/k8s/api/v1/namespaces/default/pods?limit=5', {
      headers: { ...admin, 'impersonate-user': 'evil', accept: 'application/json' },
    });
    const request = await agent.nextOf('request');
    expect(request).toMatchObject({
      target: 'kube',
      method: 'GET',
      path: '/api/v1/namespaces/default/pods?limit=5',
      body: false,
      window: DEFAULT_STREAM_WINDOW,
      impersonate: { user: 'admin', groups: expect.arrayContaining(['system:masters']) },
    });
    const names = request.headers.map(([k]) => k.toLowerCase());
    expect(names).toContain('accept');
    expect(names).not.toContain('authorization');
    expect(names).not.toContain('impersonate-user');

    await agent.send({
      type: 'response',
      id: request.id,
      status: 200,
      headers: [['content-type', 'application/json']],
    });
    // Each send resolves once the tunnel handled the frame (see agent-socket.ts:
    // the pool's Durable Object wrapper would otherwise let back-to-back frames
    // overtake each other); the e2e test checks multi-megabyte bodies over a real socket.
    await agent.sendData(request.id, '{"kind":"PodList","items":[]}');
    await agent.send({ type: 'end', id: request.id });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ kind: 'PodList', items: [] });
    agent.ws.close();
  });

  it('drops response headers the runtime refuses instead of failing', async () => {
    const reg = await register('px-7');
    const agent = await connectAgent(reg.joinToken);
    const pending = call('/clusters/px-7/k8s/version', { headers: admin });
    const request = await agent.nextOf('request');
    await agent.send({
      type: 'response',
      id: request.id,
      status: 200,
      headers: [
        ['x-bad', 'line\nbreak'],
        ['content-type', 'text/plain'],
      ],
    });
    await agent.sendData(request.id, 'ok');
    await agent.send({ type: 'end', id: request.id });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain');
    expect(res.headers.has('x-bad')).toBe(false);
    expect(await res.text()).toBe('ok');
    // The tunnel is still there for the next request.
    expect((await status('px-7')).agents).toBe(1);
    agent.ws.close();
  });

  it('spreads concurrent requests over the live agents, least busy first', async () => {
    const reg = await register('px-8');
    const a = await connectAgent(reg.joinToken, 'pod-a');
    const b = await connectAgent(reg.joinToken, 'pod-b');
    const first = call('/clusters/px-8/k8s/api/v1/pods?watch=true', { headers: admin });
    const second = call('/clusters/px-8/k8s/api/v1/nodes?watch=true', { headers: admin });
    const onA = await a.nextOf('request');
    const onB = await b.nextOf('request');
    expect([onA.path, onB.path].sort()).toEqual([
      '/api/v1/nodes?watch=true',
      '/api/v1/pods?watch=true',
    ]);
    for (const [agent, request] of [
      [a, onA],
      [b, onB],
    ] as const) {
      await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
      await agent.send({ type: 'end', id: request.id });
    }
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    a.ws.close();
    b.ws.close();
  });

  it('sends request bodies as DATA then END', async () => {
    const reg = await register('px-2');
    const agent = await connectAgent(reg.joinToken);
    const body = JSON.stringify({ kind: 'ConfigMap', metadata: { name: 'x' } });
    const pending = call('/clusters/px-2/k8s/api/v1/namespaces/default/configmaps', {
      method: 'POST',
      headers: { ...admin, 'content-type': 'application/json' },
      body,
    });
    const request = await agent.nextOf('request');
    expect(request).toMatchObject({ method: 'POST', body: true });
    const data = await agent.nextOf('data');
    expect(new TextDecoder().decode(data.payload)).toBe(body);
    expect(await agent.nextOf('end')).toEqual({ type: 'end', id: request.id });
    await agent.send({ type: 'response', id: request.id, status: 201, headers: [] });
    await agent.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(201);
    agent.ws.close();
  });

  it('streams a watch, grants window credit as the caller reads, and cancels when the caller leaves', async () => {
    const reg = await register('px-3');
    const agent = await connectAgent(reg.joinToken);
    const res = call('/clusters/px-3/k8s/api/v1/pods?watch=true', { headers: admin });
    const request = await agent.nextOf('request');
    await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    const response = await res;
    const reader = response.body!.getReader();
    // Fill the whole window in 64 KiB chunks; reading it must give credit back.
    const chunk = new Uint8Array(64 * 1024).fill(120);
    for (let sent = 0; sent < DEFAULT_STREAM_WINDOW; sent += chunk.byteLength)
      agent.sendRaw(encodeData(request.id, chunk));
    let read = 0;
    while (read < DEFAULT_STREAM_WINDOW) {
      const { value, done } = await reader.read();
      if (done) break;
      read += value.byteLength;
    }
    expect(read).toBe(DEFAULT_STREAM_WINDOW);
    const credit = await agent.nextOf('window');
    expect(credit.id).toBe(request.id);
    expect(credit.bytes).toBeGreaterThanOrEqual(DEFAULT_STREAM_WINDOW / 4);
    await reader.cancel();
    // The runtime notices the caller is gone when the next bytes cannot be delivered.
    agent.sendRaw(encodeData(request.id, chunk));
    agent.sendRaw(encodeData(request.id, chunk));
    expect(await agent.nextOf('cancel')).toMatchObject({ type: 'cancel', id: request.id });
    agent.ws.close();
  });

  it('delivers a small watch event at once, without waiting for more bytes', async () => {
    const reg = await register('px-6');
    const agent = await connectAgent(reg.joinToken);
    const pending = call('/clusters/px-6/k8s/api/v1/pods?watch=true', { headers: admin });
    const request = await agent.nextOf('request');
    await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    const reader = (await pending).body!.getReader();
    await agent.sendData(request.id, '{"type":"ADDED"}\n');
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toBe('{"type":"ADDED"}\n');
    await reader.cancel();
    agent.ws.close();
  });

  it('answers 503 when no agent is connected, 401 without a token, 404 for unknown clusters', async () => {
    await register('px-4');
    const res = await call('/clusters/px-4/k8s/api/v1/pods', { headers: admin });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ code: 'cluster_unreachable' });
    expect((await call('/clusters/px-4/k8s/api/v1/pods')).status).toBe(401);
    expect((await call('/clusters/nope/k8s/api/v1/pods', { headers: admin })).status).toBe(404);
  });

  it('fails the request with 502 when the agent drops mid-request', async () => {
    const reg = await register('px-5');
    const agent = await connectAgent(reg.joinToken);
    const pending = call('/clusters/px-5/k8s/version', { headers: admin });
    await agent.nextOf('request');
    agent.ws.close(1001, 'going away');
    const res = await pending;
    expect(res.status).toBe(502);
  });
});

describe('API description', () => {
  it('documents the cluster routes, the kube proxy and the agent socket', async () => {
    const doc = (await (await call('/openapi.json')).json()) as { paths: Record<string, unknown> };
    for (const path of [
      '/api/v1/clusters',
      '/api/v1/clusters/{c}',
      '/api/v1/clusters/{c}/join-token',
      '/api/v1/clusters/{c}/nodes',
      '/api/v1/clusters/{c}/edge-nodes',
      '/api/v1/clusters/{c}/namespaces',
      '/api/v1/clusters/{c}/events',
      '/api/v1/clusters/{c}/edge-nodes/join-command',
      '/api/v1/clusters/{c}/monitoring/api/v1/query',
      '/api/v1/clusters/{c}/monitoring/api/v1/query_range',
      '/clusters/{c}/k8s/{path}',
      '/agent/v1/connect',
    ])
      expect(doc.paths[path], path).toBeDefined();
  });
});

describe('rotation and deletion', () => {
  it('rotating the join token drops agents with the old one and refuses it afterwards', async () => {
    const reg = await register('rot-1');
    const agent = await connectAgent(reg.joinToken);
    const res = await call('/api/v1/clusters/rot-1/join-token', { method: 'POST', headers: admin });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { joinToken: string; manifest: string };
    expect(rotated.joinToken).not.toBe(reg.joinToken);
    expect((await agent.nextOf('closed')).code).toBe(CloseCodes.tokenRevoked);
    expect((await openAgentSocket(reg.joinToken)).status).toBe(401);
    const fresh = await connectAgent(rotated.joinToken);
    expect((await status('rot-1')).status).toBe('connected');
    fresh.ws.close();
  });

  it('deletes an unreachable cluster and closes a live tunnel', async () => {
    const reg = await register('del-1');
    const agent = await connectAgent(reg.joinToken);
    await agent.send({ type: 'inventory', update: snapshot() });
    await agent.nextOf('ack');
    const res = await call('/api/v1/clusters/del-1', { method: 'DELETE', headers: admin });
    expect(res.status).toBe(204);
    expect((await agent.nextOf('closed')).code).toBe(CloseCodes.clusterDeleted);
    expect((await call('/api/v1/clusters/del-1', { headers: admin })).status).toBe(404);
    expect((await openAgentSocket(reg.joinToken)).status).toBe(401);

    await register('del-2'); // never connected
    expect(
      (await call('/api/v1/clusters/del-2', { method: 'DELETE', headers: admin })).status,
    ).toBe(204);
  });
});
