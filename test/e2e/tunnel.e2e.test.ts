import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  signInAdmin,
  startAgentCluster,
  eventually as waitFor,
} from '../support/e2e-fleet';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { requirePeer } from '../support/peers';
import { startTlsFront } from '../support/tls-front';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * The whole path as deployed: `wrangler dev` (workerd, D1, the ClusterTunnel
 * DO) + the Kubernetes API emulator + real agent processes dialing the edge.
 * Liveness is shortened to 6 s through the var so the run stays quick; the
 * production default stays 45 s.
 */
const LIVENESS_SECONDS = 6;
const CLUSTER = 'e2e-east';

let edge: WranglerDev;
let prometheus: Server;
let prometheusUrl: string;
const promQueries: string[] = [];
let kube: KubeEmulator;
let workDir: string;
let kubeconfig: string;
let adminJwt: string;
let joinToken: string;
const agents: AgentProcess[] = [];

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);

interface ClusterView {
  status: string;
  agents: number;
  lastSeen: string | null;
  kubernetesVersion: string | null;
  nodes: { total: number; ready: number; edge: number };
}

const clusterView = async () =>
  (await (await api(`/api/v1/clusters/${CLUSTER}`)).json()) as ClusterView;

/** Polls `probe` until it returns a value (not undefined) or `timeoutMs` passes. */
const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, { intervalMs: 200 });

async function agent(name: string, token = joinToken): Promise<AgentProcess> {
  const proc = await startAgentProcess({
    name,
    hubUrl: edge.url,
    token,
    kubeconfig,
    prometheusUrl,
  });
  agents.push(proc);
  return proc;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-tunnel-e2e-'));
  // A stand-in for the in-cluster Prometheus HTTP API.
  prometheus = createServer((req, res) => {
    promQueries.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: { job: 'kubelet' }, value: [1, '1'] }] },
      }),
    );
  });
  await new Promise<void>((resolve) => prometheus.listen(0, '127.0.0.1', () => resolve()));
  prometheusUrl = `http://127.0.0.1:${(prometheus.address() as AddressInfo).port}`;
  ({ kube, kubeconfig } = await startAgentCluster(workDir, {
    cluster: {
      nodes: 4,
      edgeNodes: 1,
      notReadyNodes: 1,
      namespaces: 3,
      workspaces: 2,
      pods: 60,
      warningEvents: 5,
    },
    bookmarkIntervalMs: 1000,
  }));
  edge = await startWranglerDev({ vars: { TUNNEL_LIVENESS_SECONDS: String(LIVENESS_SECONDS) } });
  adminJwt = await signInAdmin(edge.url);
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.kill()));
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  await new Promise((resolve) => prometheus?.close(resolve));
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('tunnel end to end', () => {
  it('registers a cluster and two agents connect', async () => {
    const res = await api('/api/v1/clusters', {
      method: 'POST',
      body: JSON.stringify({ name: CLUSTER, labels: { region: 'eu' } }),
    });
    expect(res.status).toBe(201);
    const reg = (await res.json()) as { joinToken: string; manifest: string; cluster: ClusterView };
    joinToken = reg.joinToken;
    expect(reg.cluster.status).toBe('pending');
    expect(reg.manifest).toContain('kind: Deployment');

    await agent('agent-a');
    await agent('agent-b');
    const view = await eventually(
      async () => {
        const v = await clusterView();
        return v.agents === 2 ? v : undefined;
      },
      60_000,
      'two connected agents',
    );
    expect(view.status).toBe('connected');
  });

  it('shows the inventory the leader pushed', async () => {
    const view = await eventually(
      async () => {
        const v = await clusterView();
        return v.nodes.total === 4 ? v : undefined;
      },
      20_000,
      'inventory with 4 nodes',
    ).catch((e) => {
      console.log(edge.output().slice(-6000));
      throw e;
    });
    expect(view.kubernetesVersion).toBe('v1.30.2');
    expect(view.nodes).toEqual({ total: 4, ready: 3, edge: 1 });
    const edgeNodes = (await (await api(`/api/v1/clusters/${CLUSTER}/edge-nodes`)).json()) as {
      items: { name: string; edge: boolean }[];
    };
    expect(edgeNodes.items).toHaveLength(1);
    const namespaces = (await (await api(`/api/v1/clusters/${CLUSTER}/namespaces`)).json()) as {
      items: { name: string; workspace?: string }[];
    };
    expect(namespaces.items.map((n) => n.name)).toContain('ns-0000');
    expect(namespaces.items.some((n) => n.workspace === 'ws-0')).toBe(true);
  });

  it('proxies kubectl-style requests, impersonating the caller', async () => {
    const before = kube.requests.length;
    const res = await api(`/clusters/${CLUSTER}/k8s/api/v1/pods?limit=10`, {
      headers: { 'impersonate-user': 'someone-else' },
    });
    expect(res.status).toBe(200);
    const list = (await res.json()) as {
      kind: string;
      items: unknown[];
      metadata: { continue?: string };
    };
    expect(list.kind).toBe('PodList');
    expect(list.items).toHaveLength(10);
    const seen = kube.requests.slice(before).filter((r) => r.path === '/api/v1/pods');
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.user).toBe('system:serviceaccount:edgetower-system:edgetower-agent');
      expect(r.impersonateUser).toBe('admin');
      expect(r.impersonateGroups).toContain('system:masters');
    }
    // Unauthenticated and unknown clusters stop at the edge.
    const anonymous = await fetch(`${edge.url}/clusters/${CLUSTER}/k8s/api/v1/pods`);
    expect(anonymous.status).toBe(401);
    expect((await api('/clusters/nope/k8s/api/v1/pods')).status).toBe(404);
    expect(kube.requests.slice(before).every((r) => r.impersonateUser === 'admin')).toBe(true);
    // A body of many DATA frames arrives byte for byte.
    const all = await api(`/clusters/${CLUSTER}/k8s/api/v1/pods?limit=500`, {
      headers: { 'accept-encoding': 'identity' },
    });
    const direct = await fetch(`${kube.url}/api/v1/pods?limit=500`, {
      headers: { authorization: `Bearer ${kube.token}` },
    });
    const viaTunnel = (await all.json()) as { items: unknown[] };
    expect(viaTunnel.items).toHaveLength(60);
    expect(viaTunnel.items).toEqual(((await direct.json()) as { items: unknown[] }).items);
  });

  it('streams a watch and cancels it upstream when the caller goes away', async () => {
    const watchesBefore = kube.watchCount('configmaps');
    const abort = new AbortController();
    const res = await api(
      `/clusters/${CLUSTER}/k8s/api/v1/namespaces/default/configmaps?watch=true&allowWatchBookmarks=true`,
      {
        signal: abort.signal,
      },
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const created = await api(`/clusters/${CLUSTER}/k8s/api/v1/namespaces/default/configmaps`, {
      method: 'POST',
      body: JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'through-the-tunnel' },
        data: { a: 'b' },
      }),
    });
    expect(created.status).toBe(201);
    let text = '';
    const decoder = new TextDecoder();
    while (!text.includes('through-the-tunnel')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    expect(text).toContain('"type":"ADDED"');
    expect(text).toContain('through-the-tunnel');
    expect(kube.watchCount('configmaps')).toBe(watchesBefore + 1);
    abort.abort();
    await reader.cancel().catch(() => {});
    // The emulator sends bookmarks every second: the next one finds the caller gone.
    await eventually(
      async () => (kube.watchCount('configmaps') === watchesBefore ? true : undefined),
      15_000,
      'the upstream watch to close',
    );
  });

  it('follows pod logs as lines are written (logs -f)', async () => {
    const list = (await (await api(`/clusters/${CLUSTER}/k8s/api/v1/pods?limit=1`)).json()) as {
      items: { metadata: { name: string; namespace: string } }[];
    };
    const pod = list.items[0]!.metadata;
    const res = await api(
      `/clusters/${CLUSTER}/k8s/api/v1/namespaces/${pod.namespace}/pods/${pod.name}/log?follow=true`,
    );
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    // A stream promises bytes, not chunk boundaries: read until the text is there (or the stream ends).
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
      }
    };
    await readUntil('starts');
    expect(text).toContain('starts');
    kube.store.appendPodLog(pod.namespace, pod.name, 'a line written after the follow began');
    await readUntil('after the follow began');
    expect(text).toContain('a line written after the follow began');
    await reader.cancel();
  });

  it('serves real kubectl through the proxy', async () => {
    const kubectlPath = requirePeer('kubectl');
    requirePeer('openssl');
    // kubectl sends bearer tokens only over TLS: put a TLS front on the local edge.
    const tls = await startTlsFront(edge.url, workDir);
    try {
      const emptyConfig = path.join(workDir, 'empty-kubeconfig');
      await writeFile(emptyConfig, '');
      const kubectl = (...args: string[]) =>
        promisify(execFile)(
          kubectlPath,
          [
            '--server',
            `${tls.url}/clusters/${CLUSTER}/k8s`,
            '--token',
            adminJwt,
            '--insecure-skip-tls-verify',
            ...args,
          ],
          { env: { ...process.env, KUBECONFIG: emptyConfig }, timeout: 60_000 },
        );
      const nodes = await kubectl('get', 'nodes', '-o', 'name');
      expect(nodes.stdout.trim().split('\n')).toHaveLength(4);
      const pods = await kubectl('get', 'pods', '-A', '--no-headers');
      const rows = pods.stdout.trim().split('\n');
      expect(rows.length).toBe(60);
      const [namespace, pod] = rows[0]!.split(/\s+/);
      const logs = await kubectl('logs', '-n', namespace!, pod!);
      expect(logs.stdout).toContain('starts');
    } finally {
      await tls.close();
    }
  });

  it('passes PromQL to the cluster Prometheus', async () => {
    const res = await api(
      `/api/v1/clusters/${CLUSTER}/monitoring/api/v1/query?query=up%7Bjob%3D%22kubelet%22%7D`,
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
    expect(promQueries.at(-1)).toBe('/api/v1/query?query=up%7Bjob%3D%22kubelet%22%7D');
  });

  it('keeps serving when one agent dies', async () => {
    const [first] = agents;
    await first!.kill();
    const view = await eventually(
      async () => {
        const v = await clusterView();
        return v.agents === 1 ? v : undefined;
      },
      LIVENESS_SECONDS * 1000 + 10_000,
      'one agent left',
    );
    expect(view.status).toBe('connected');
    for (let i = 0; i < 5; i++) {
      const res = await api(`/clusters/${CLUSTER}/k8s/version`);
      expect(res.status).toBe(200);
      await res.body?.cancel();
    }
  });

  it('goes disconnected within the liveness timeout when the last agent goes silent', async () => {
    const survivor = agents[1]!;
    // SIGSTOP: the socket stays open but nothing is sent, like a hung process or a cut link.
    survivor.signal('SIGSTOP');
    const stoppedAt = Date.now();
    await eventually(
      async () => ((await clusterView()).status === 'disconnected' ? true : undefined),
      45_000,
      'status disconnected',
    );
    const tookMs = Date.now() - stoppedAt;
    console.log(`disconnected detected after ${tookMs} ms (liveness ${LIVENESS_SECONDS} s)`);
    expect(tookMs).toBeLessThanOrEqual(45_000);
    const view = await clusterView();
    expect(view.agents).toBe(0);
    expect(view.lastSeen).not.toBeNull();
    const res = await api(`/clusters/${CLUSTER}/k8s/version`);
    expect(res.status).toBe(503);
    await survivor.kill();
  });

  it('reconnects when an agent starts again', async () => {
    await agent('agent-c');
    await eventually(
      async () => ((await clusterView()).status === 'connected' ? true : undefined),
      30_000,
      'reconnection',
    );
    expect((await api(`/clusters/${CLUSTER}/k8s/version`)).status).toBe(200);
  });

  it('reconnects by itself after the edge restarts', async () => {
    const { port, persistDir } = edge;
    await edge.stop();
    edge = await startWranglerDev({
      port,
      persistDir,
      vars: { TUNNEL_LIVENESS_SECONDS: String(LIVENESS_SECONDS) },
    });
    await eventually(
      async () => ((await clusterView()).status === 'connected' ? true : undefined),
      45_000,
      'reconnection after the edge restart',
    );
    expect((await api(`/clusters/${CLUSTER}/k8s/version`)).status).toBe(200);
  });

  it('answers 502 while the API server is away and recovers when it is back', async () => {
    const port = Number(new URL(kube.url).port);
    const { store, token } = kube;
    await kube.close();
    const down = await api(`/clusters/${CLUSTER}/k8s/version`);
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ code: 'bad_gateway' });
    kube = await startKubeEmulator({ port, store, token, bookmarkIntervalMs: 1000 });
    expect((await api(`/clusters/${CLUSTER}/k8s/version`)).status).toBe(200);
    expect((await clusterView()).status).toBe('connected');
  });

  it('rotating the token drops the agent and refuses the old token', async () => {
    const old = agents.at(-1)!;
    const res = await api(`/api/v1/clusters/${CLUSTER}/join-token`, { method: 'POST' });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as { joinToken: string };
    expect(rotated.joinToken).not.toBe(joinToken);
    await eventually(
      async () => ((await clusterView()).agents === 0 ? true : undefined),
      15_000,
      'old agent dropped',
    );
    // The old agent keeps dialing and keeps being refused.
    await eventually(
      async () => (old.output().includes('401') ? true : undefined),
      30_000,
      'a 401 in the old agent log',
    );
    expect((await clusterView()).agents).toBe(0);
    await old.kill();
    joinToken = rotated.joinToken;
    await agent('agent-d');
    await eventually(
      async () => ((await clusterView()).status === 'connected' ? true : undefined),
      30_000,
      'new agent connected',
    );
  });

  it('deletes the cluster and closes its tunnel', async () => {
    const res = await api(`/api/v1/clusters/${CLUSTER}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect((await api(`/api/v1/clusters/${CLUSTER}`)).status).toBe(404);
    const last = agents.at(-1)!;
    await eventually(
      async () => (last.output().includes('tunnel closed') ? true : undefined),
      15_000,
      'the agent to see its tunnel closed',
    );
  });
});
