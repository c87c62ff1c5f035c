import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { silentLogger } from '../../agents/log';
import { startTunnel, type Tunnel } from '../../agents/tunnel';
import {
  type ControlFrame,
  decodeFrame,
  encodeControl,
  encodeData,
  type Frame,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  type RequestFrame,
} from '../../functions/tunnel/protocol';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';

/** A stand-in for the edge: accepts agent sockets and lets a test drive frames. */
interface FakeEdge {
  url: string;
  authorizations: string[];
  connections: EdgeConnection[];
  nextConnection(): Promise<EdgeConnection>;
  close(): Promise<void>;
}

interface EdgeConnection {
  ws: WebSocket;
  frames: Frame[];
  /** HEARTBEAT_REQUESTs received (answered like the edge's auto-response). */
  pings: number;
  send(frame: ControlFrame): void;
  next<T extends Frame['type']>(type: T, timeoutMs?: number): Promise<Extract<Frame, { type: T }>>;
  /** Body bytes of stream `id` until END. */
  body(id: number, timeoutMs?: number): Promise<string>;
}

function connection(ws: WebSocket): EdgeConnection {
  const frames: Frame[] = [];
  let waiters: (() => void)[] = [];
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer);
    if (!isBinary && bytes.toString() === HEARTBEAT_REQUEST) {
      conn.pings++;
      ws.send(HEARTBEAT_RESPONSE);
      return;
    }
    const decoded = decodeFrame(isBinary ? bytes : bytes.toString());
    if (!decoded.ok) throw new Error(decoded.message);
    frames.push(decoded.frame);
    const ready = waiters;
    waiters = [];
    for (const w of ready) w();
  });
  const conn: EdgeConnection = {
    ws,
    frames,
    pings: 0,
    send: (frame) => ws.send(encodeControl(frame)),
    async next(type, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = frames.findIndex((f) => f.type === type);
        if (index >= 0) return frames.splice(index, 1)[0] as never;
        if (Date.now() > deadline) throw new Error(`no ${type} frame from the agent`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
    async body(id, timeoutMs = 5000) {
      const parts: Buffer[] = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const index = frames.findIndex(
          (f) => (f.type === 'data' || f.type === 'end') && 'id' in f && f.id === id,
        );
        if (index >= 0) {
          const frame = frames.splice(index, 1)[0]!;
          if (frame.type === 'end') return Buffer.concat(parts).toString();
          if (frame.type === 'data') parts.push(Buffer.from(frame.payload));
          continue;
        }
        if (Date.now() > deadline) throw new Error(`stream ${id} did not end`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100);
        });
      }
    },
  };
  return conn;
}

async function startFakeEdge(
  opts: { heartbeatSeconds?: number; livenessSeconds?: number } = {},
): Promise<FakeEdge> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/agent/v1/connect' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const edge: FakeEdge = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    authorizations: [],
    connections: [],
    async nextConnection() {
      const seen = edge.connections.length;
      const deadline = Date.now() + 10_000;
      while (edge.connections.length <= seen) {
        if (Date.now() > deadline) throw new Error('no agent connection');
        await new Promise((r) => setTimeout(r, 20));
      }
      return edge.connections[seen]!;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of server.clients) c.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (ws, req) => {
    edge.authorizations.push(req.headers.authorization ?? '');
    const conn = connection(ws);
    edge.connections.push(conn);
    void conn.next('hello').then(() =>
      conn.send({
        type: 'welcome',
        version: 1,
        cluster: 'test',
        heartbeatSeconds: opts.heartbeatSeconds ?? 15,
        livenessSeconds: opts.livenessSeconds ?? 45,
        maxFrameBytes: 1024 * 1024,
      }),
    );
  });
  return edge;
}

let kube: KubeEmulator;
let kubeConfig: KubeConfig;
const tunnels: Tunnel[] = [];
const edges: FakeEdge[] = [];

function tunnelTo(edge: FakeEdge, extra: Partial<Parameters<typeof startTunnel>[0]> = {}) {
  const tunnel = startTunnel({
    hubUrl: edge.url,
    token: 'etj_test-token',
    agentId: 'agent-1',
    agentVersion: '0.0.0-test',
    kubeConfig,
    log: silentLogger,
    backoff: { initialMs: 50, maxMs: 200 },
    ...extra,
  });
  tunnels.push(tunnel);
  return tunnel;
}

beforeAll(async () => {
  kube = await startKubeEmulator({ cluster: { nodes: 3, edgeNodes: 1, namespaces: 2, pods: 20 } });
  // The emulator applies the cluster's RBAC to impersonated requests: alice is a cluster admin here.
  kube.store.create('clusterrolebindings', {
    metadata: { name: 'alice-cluster-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
  });
  kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'emu', server: kube.url, skipTLSVerify: true }],
    users: [{ name: 'agent', token: kube.token }],
    contexts: [{ name: 'emu', cluster: 'emu', user: 'agent' }],
    currentContext: 'emu',
  });
});

afterEach(async () => {
  await Promise.all(tunnels.splice(0).map((t) => t.close()));
  await Promise.all(edges.splice(0).map((e) => e.close()));
});

afterAll(async () => {
  await kube.close();
});

const get = (id: number, path: string, extra: Partial<RequestFrame> = {}): RequestFrame => ({
  type: 'request',
  id,
  target: 'kube',
  method: 'GET',
  path,
  headers: [
    ['accept', 'application/json'],
    ['authorization', 'Bearer caller-token-must-not-leak'],
    ['impersonate-user', 'evil'],
  ],
  impersonate: { user: 'alice', groups: ['devs', 'system:authenticated'] },
  body: false,
  window: 1024 * 1024,
  ...extra,
});

describe('agent tunnel client', () => {
  it('connects with the join token, says hello and reports connected', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    const tunnel = tunnelTo(edge);
    const connected = new Promise<string>((resolve) => tunnel.onConnected(resolve));
    const conn = await edge.nextConnection();
    expect(edge.authorizations[0]).toBe('Bearer etj_test-token');
    expect(await connected).toBe('connected');
    expect(tunnel.isConnected()).toBe(true);
    expect(conn.ws.protocol).toBe('');
  });

  it('proxies a GET into the API server as the caller, dropping the caller token', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    conn.send(get(7, '/api/v1/namespaces/default/pods?limit=5'));
    const head = await conn.next('response');
    expect(head.status).toBe(200);
    const list = JSON.parse(await conn.body(7)) as { kind: string; items: unknown[] };
    expect(list.kind).toBe('PodList');
    const seen = kube.requests.filter((r) => r.path === '/api/v1/namespaces/default/pods').at(-1);
    expect(seen?.impersonateUser).toBe('alice');
    expect(seen?.impersonateGroups).toEqual(['devs', 'system:authenticated']);
    expect(seen?.user).toBe('system:serviceaccount:edgetower-system:edgetower-agent');
  });

  it('refuses kube requests without an identity to impersonate', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    const { impersonate: _dropped, ...anonymous } = get(8, '/api/v1/pods');
    conn.send(anonymous);
    expect(await conn.next('error')).toMatchObject({ id: 8, code: 'bad_target' });
  });

  it('holds a watch within its window and keeps serving other streams', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    conn.send(get(1, '/api/v1/pods?watch=true&allowWatchBookmarks=true', { window: 1024 }));
    expect((await conn.next('response')).status).toBe(200);
    // The watch first replays every pod as ADDED: far more than 1 KiB.
    await new Promise((r) => setTimeout(r, 300));
    const watchBytes = conn.frames
      .filter((f) => f.type === 'data' && f.id === 1)
      .reduce((n, f) => n + (f.type === 'data' ? f.payload.byteLength : 0), 0);
    expect(watchBytes).toBe(1024);
    // Meanwhile an ordinary request completes.
    conn.send(get(2, '/version'));
    expect((await conn.next('response')).id).toBe(2);
    expect(JSON.parse(await conn.body(2))).toMatchObject({ gitVersion: 'v1.30.2' });
    // Credit lets the watch continue; cancel ends it upstream.
    conn.send({ type: 'window', id: 1, bytes: 4096 });
    await new Promise((r) => setTimeout(r, 200));
    const more = conn.frames
      .filter((f) => f.type === 'data' && f.id === 1)
      .reduce((n, f) => n + (f.type === 'data' ? f.payload.byteLength : 0), 0);
    expect(more).toBe(1024 + 4096);
    const watchesBefore = kube.watchCount('pods');
    conn.send({ type: 'cancel', id: 1 });
    const deadline = Date.now() + 3000;
    while (kube.watchCount('pods') >= watchesBefore && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(kube.watchCount('pods')).toBe(watchesBefore - 1);
  });

  it('forwards watch events as they happen', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    conn.send(get(4, '/api/v1/namespaces/default/configmaps?watch=true'));
    expect((await conn.next('response')).status).toBe(200);
    kube.store.create('configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'late', namespace: 'default' },
    });
    const event = await conn.next('data');
    expect(Buffer.from(event.payload).toString()).toContain('"name":"late"');
  });

  it('passes only GET /api/v1/... to Prometheus, after path normalisation', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge, { prometheusUrl: 'http://127.0.0.1:9' });
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    const { impersonate: _none, ...base } = get(11, '/api/v1/../../-/quit');
    conn.send({ ...base, target: 'prometheus' });
    expect(await conn.next('error')).toMatchObject({ id: 11, code: 'bad_target' });
    conn.send({
      ...base,
      id: 12,
      target: 'prometheus',
      method: 'POST',
      path: '/api/v1/admin/tsdb/snapshot',
    });
    expect(await conn.next('error')).toMatchObject({ id: 12, code: 'bad_target' });
  });

  it('streams request bodies upstream', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'made-through-tunnel' },
    });
    conn.send(
      get(3, '/api/v1/namespaces', {
        method: 'POST',
        body: true,
        headers: [['content-type', 'application/json']],
      }),
    );
    conn.ws.send(encodeData(3, Buffer.from(body)));
    conn.send({ type: 'end', id: 3 });
    const head = await conn.next('response');
    expect(head.status).toBe(201);
    await conn.body(3);
    const created = kube.requests
      .filter((r) => r.method === 'POST' && r.path === '/api/v1/namespaces')
      .at(-1);
    expect(created?.impersonateUser).toBe('alice');
  });

  it('answers malformed and unknown frames with errors and stays up', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    const tunnel = tunnelTo(edge);
    const conn = await edge.nextConnection();
    await new Promise((r) => setTimeout(r, 50));
    conn.ws.send('garbage');
    expect(await conn.next('error')).toMatchObject({ code: 'malformed' });
    conn.ws.send('{"type":"warp"}');
    expect(await conn.next('error')).toMatchObject({ code: 'unknown_type' });
    conn.send({ type: 'hello', versions: [1], agentId: 'x', agentVersion: '1' });
    expect(await conn.next('error')).toMatchObject({ code: 'unknown_type' });
    expect(tunnel.isConnected()).toBe(true);
  });

  it('reconnects after the edge drops it, and sends heartbeats', async () => {
    const edge = await startFakeEdge({ heartbeatSeconds: 0.1, livenessSeconds: 5 });
    edges.push(edge);
    const tunnel = tunnelTo(edge);
    const reasons: string[] = [];
    tunnel.onConnected((r) => reasons.push(r));
    const first = await edge.nextConnection();
    first.ws.terminate();
    const second = await edge.nextConnection();
    const deadline = Date.now() + 3000;
    while (reasons.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(reasons).toEqual(['connected', 'connected']);
    second.send({ type: 'resync', reason: 'gap' });
    while (reasons.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(reasons.at(-1)).toBe('resync');
    while (second.pings < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(second.pings).toBeGreaterThanOrEqual(2);
  });

  it('gives up on a silent edge after the liveness timeout and dials again', async () => {
    const edge = await startFakeEdge({ heartbeatSeconds: 0.1, livenessSeconds: 0.3 });
    edges.push(edge);
    tunnelTo(edge);
    const first = await edge.nextConnection();
    // Stop answering: swallow everything the agent sends from now on.
    first.ws.removeAllListeners('message');
    const second = await edge.nextConnection();
    expect(second).not.toBe(first);
  });

  it('sends inventory only while connected', async () => {
    const edge = await startFakeEdge();
    edges.push(edge);
    const tunnel = tunnelTo(edge);
    const conn = await edge.nextConnection();
    while (!tunnel.isConnected()) await new Promise((r) => setTimeout(r, 10));
    tunnel.sendInventory({ type: 'delta', seq: 1 });
    expect(await conn.next('inventory')).toEqual({
      type: 'inventory',
      update: { type: 'delta', seq: 1 },
    });
    const acks: number[] = [];
    tunnel.onAck((seq) => acks.push(seq));
    conn.send({ type: 'ack', seq: 1 });
    await new Promise((r) => setTimeout(r, 50));
    expect(acks).toEqual([1]);
  });
});
