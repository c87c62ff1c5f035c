import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import { bearerFetch, registerCluster, signInAdmin, startAgentCluster } from '../support/e2e-fleet';
import type { KubeEmulator } from '../support/kube-emulator';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * The edge's own alert rules as deployed: `wrangler dev` + the Kubernetes
 * API emulator + a real agent process. The node rules fire from the
 * inventory the agent pushes; killing the agent fires ClusterDisconnected,
 * delivered through a receiver to a webhook on loopback. Thresholds are
 * shortened through vars (production defaults: 60 s each, liveness 45 s).
 */
const CLUSTER = 'e2e-rules';
const vars = {
  TUNNEL_LIVENESS_SECONDS: '3',
  CLUSTER_DISCONNECT_ALERT_SECONDS: '3',
  NODE_NOT_READY_ALERT_SECONDS: '2',
  EDGE_NODE_OFFLINE_ALERT_SECONDS: '2',
  ALLOW_PRIVATE_WEBHOOKS: 'true',
};

let edge: WranglerDev;
let kube: KubeEmulator;
let workDir: string;
let kubeconfig: string;
let adminJwt: string;
let joinToken: string;
let sink: Server;
let sinkUrl: string;
const posted: { status: string; alerts: { status: string; labels: Record<string, string> }[] }[] =
  [];
const agents: AgentProcess[] = [];

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);

interface EdgeAlert {
  labels: Record<string, string>;
  status: { state: string };
}

/** Active alerts of the cluster as "alertname" or "alertname/node", sorted. */
const firing = async () =>
  ((await (await api('/api/v2/alerts')).json()) as EdgeAlert[])
    .filter((a) => a.labels.cluster === CLUSTER)
    .map((a) => [a.labels.alertname, a.labels.node].filter(Boolean).join('/'))
    .sort();

/** Polls a real process's effect (they run on their own clocks) until `check` passes. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read().catch(() => last);
    if (last !== undefined && check(last)) return last;
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${what}: not seen in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

async function agent(name: string): Promise<AgentProcess> {
  const proc = await startAgentProcess({ name, hubUrl: edge.url, token: joinToken, kubeconfig });
  agents.push(proc);
  return proc;
}

const notified = (alertname: string, status: 'firing' | 'resolved') =>
  posted.some((p) => p.alerts.some((a) => a.labels.alertname === alertname && a.status === status));

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-alert-rules-e2e-'));
  sink = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      posted.push(JSON.parse(body));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}/hook`;
  ({ kube, kubeconfig } = await startAgentCluster(workDir, {
    // node-00001 is a NotReady worker, node-00003 a (ready) KubeEdge edge node.
    cluster: { nodes: 4, edgeNodes: 1, notReadyNodes: 1, namespaces: 2, pods: 10 },
    bookmarkIntervalMs: 1000,
  }));
  edge = await startWranglerDev({ vars });
  adminJwt = await signInAdmin(edge.url);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  await new Promise((resolve) => sink?.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('built-in edge rules end to end', () => {
  it('a platform receiver with a webhook channel hears the cluster’s alerts', async () => {
    joinToken = await registerCluster(api, { name: CLUSTER });
    const channel = await api('/api/v1/notification/channels', {
      method: 'POST',
      body: JSON.stringify({ name: 'e2e-hook', type: 'webhook', config: { url: sinkUrl } }),
    });
    expect(channel.status).toBe(201);
    const receiver = await api('/api/v1/notification/receivers', {
      method: 'POST',
      body: JSON.stringify({
        name: 'e2e-ops',
        channels: ['e2e-hook'],
        matchers: [{ name: 'cluster', op: '=', value: CLUSTER }],
        groupWaitSeconds: 0,
        groupIntervalSeconds: 1,
      }),
    });
    expect(receiver.status).toBe(201);
  });

  it('NodeNotReady fires from the inventory the agent pushes; EdgeNodeOffline once the edge node drops', async () => {
    await agent('rules-agent-a');
    await eventually('NodeNotReady at the edge', firing, (list) =>
      list.includes('NodeNotReady/node-00001'),
    );
    kube.store.patch('nodes', undefined, 'node-00003', (node) => {
      const conditions = (
        node.status as {
          conditions: { type: string; status: string; lastTransitionTime: string }[];
        }
      ).conditions;
      for (const c of conditions)
        if (c.type === 'Ready') {
          c.status = 'False';
          c.lastTransitionTime = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
        }
    });
    const list = await eventually('EdgeNodeOffline at the edge', firing, (l) =>
      l.includes('EdgeNodeOffline/node-00003'),
    );
    expect(list).not.toContain('NodeNotReady/node-00003');
    expect(list).not.toContain('ClusterDisconnected');
    await eventually(
      'the node alerts notified',
      async () => posted.length,
      () => notified('NodeNotReady', 'firing') && notified('EdgeNodeOffline', 'firing'),
    );
  });

  it('killing the agent fires ClusterDisconnected and notifies it; a new agent resolves it', async () => {
    const [running] = agents;
    await running?.kill();
    const list = await eventually(
      'ClusterDisconnected at the edge',
      firing,
      (l) => l.includes('ClusterDisconnected'),
      30_000,
    );
    expect(list).toContain('ClusterDisconnected');
    await eventually(
      'ClusterDisconnected notified',
      async () => posted.length,
      () => notified('ClusterDisconnected', 'firing'),
    );
    await agent('rules-agent-b');
    await eventually(
      'ClusterDisconnected resolved',
      firing,
      (l) => !l.includes('ClusterDisconnected'),
    );
    await eventually(
      'the resolve notified',
      async () => posted.length,
      () => notified('ClusterDisconnected', 'resolved'),
    );
  });
});
