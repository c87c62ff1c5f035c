import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { applyAgentManifest } from './agent-manifest-apply';
import { type AgentProcess, startAgentProcess } from './agent-process';
import { type KubeEmulator, startKubeEmulator, writeKubeconfig } from './kube-emulator';
import { removeState, startWranglerDev, testSecrets, type WranglerDev } from './wrangler-dev';

/**
 * What the dashboard's browser tests and bench look at: `wrangler dev`, one
 * cluster with a real agent on the Kubernetes API emulator (4 nodes, one of
 * them an edge node, one not ready), a second cluster never connected, two
 * workspaces with a namespace each, a workspace viewer, and firing alerts
 * in both workspaces and at cluster level; prices set (from the next hour).
 */
export interface BrowserFleet {
  edge: WranglerDev;
  kube: KubeEmulator;
  adminToken: string;
  connected: string;
  pending: string;
  /** Workspace ws-0's viewer; ns-0002 is ws-0's, ns-0003 ws-1's. */
  viewer: { username: string; password: string };
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Rotates `cluster`'s join token and starts a real agent with it. */
  connectAgent(cluster: string): Promise<void>;
  close(): Promise<void>;
}

export const FLEET_ADMIN = { username: 'admin', password: testSecrets.ADMIN_PASSWORD };

async function eventually<T>(probe: () => Promise<T | undefined>, ms: number, what: string) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function startBrowserFleet(): Promise<BrowserFleet> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-dashboard-'));
  const kube = await startKubeEmulator({
    cluster: {
      nodes: 4,
      edgeNodes: 1,
      notReadyNodes: 1,
      namespaces: 4,
      workspaces: 2,
      pods: 24,
      warningEvents: 6,
    },
    bookmarkIntervalMs: 1000,
  });
  // What `kubectl apply` of the agent manifest leaves: its namespace and RBAC (placement included).
  applyAgentManifest(kube);
  const kubeconfig = path.join(workDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: kube.url, token: kube.token });
  // The dashboard test signs in through an OpenID provider on loopback.
  const edge = await startWranglerDev({ vars: { ALLOW_PRIVATE_IDP_HOSTS: 'true' } });
  const agents: AgentProcess[] = [];

  const login = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', ...FLEET_ADMIN }),
  });
  if (!login.ok) throw new Error(`admin login failed: ${login.status} ${await login.text()}`);
  const adminToken = ((await login.json()) as { access_token: string }).access_token;
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${edge.url}${p}`, {
      ...init,
      headers: {
        authorization: `Bearer ${adminToken}`,
        'content-type': 'application/json',
        ...init.headers,
      },
    });
  const must = async (p: string, body: unknown) => {
    const res = await api(p, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${p}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<Record<string, unknown>>;
  };

  const connected = 'fleet-east';
  const pending = 'fleet-west';
  const registered = await must('/api/v1/clusters', { name: connected, description: 'Shop floor' });
  await must('/api/v1/clusters', { name: pending, description: 'Not installed yet' });
  agents.push(
    await startAgentProcess({
      name: 'fleet-agent',
      hubUrl: edge.url,
      token: registered.joinToken as string,
      kubeconfig,
      // Metering windows every 10 s rather than a minute, so bills have rows soon.
      extraArgs: ['--metering-interval', '10'],
    }),
  );
  await eventually(
    async () => {
      const view = (await (await api(`/api/v1/clusters/${connected}`)).json()) as {
        status: string;
        nodes: { total: number };
      };
      return view.status === 'connected' && view.nodes.total === 4 ? view : undefined;
    },
    60_000,
    'the agent connected with its inventory',
  );

  const viewer = { username: 'ws0-viewer', password: 'look-but-do-not-touch-7' };
  for (const [ws, ns] of [
    ['ws-0', 'ns-0002'],
    ['ws-1', 'ns-0003'],
  ] as const) {
    // Namespaces go only in clusters granted to the workspace: granted as it is made, as an admin would.
    await must('/api/v1/workspaces', { name: ws, clusters: [connected] });
    await must(`/api/v1/workspaces/${ws}/namespaces`, { cluster: connected, name: ns });
  }
  await must('/api/v1/users', { name: viewer.username, password: viewer.password });
  await must('/api/v1/workspaces/ws-0/members', {
    user: viewer.username,
    role: 'workspace-viewer',
  });

  const priced = await api('/api/v1/metering/prices', {
    method: 'PUT',
    body: JSON.stringify({
      currency: 'USD',
      cpuPerCoreHour: 0.04,
      memoryPerGiBHour: 0.005,
      ingressPerGiB: 0.01,
      egressPerGiB: 0.09,
      pvcPerGiBHour: 0.0002,
    }),
  });
  if (!priced.ok) throw new Error(`setting prices: ${priced.status} ${await priced.text()}`);

  const endsAt = new Date(Date.now() + 6 * 3600_000).toISOString();
  const alert = (labels: Record<string, string>) => ({
    labels,
    annotations: { summary: `${labels.alertname} on ${labels.namespace ?? labels.cluster}` },
    startsAt: new Date().toISOString(),
    endsAt,
  });
  const posted = await api('/api/v2/alerts', {
    method: 'POST',
    body: JSON.stringify([
      alert({
        alertname: 'Ws0PodCrash',
        cluster: connected,
        namespace: 'ns-0002',
        severity: 'critical',
      }),
      alert({
        alertname: 'Ws1PodCrash',
        cluster: connected,
        namespace: 'ns-0003',
        severity: 'warning',
      }),
      alert({ alertname: 'NodePressure', cluster: connected, severity: 'warning' }),
      alert({ alertname: 'WestUnreachable', cluster: pending, severity: 'critical' }),
    ]),
  });
  if (!posted.ok) throw new Error(`posting alerts: ${posted.status} ${await posted.text()}`);

  return {
    edge,
    kube,
    adminToken,
    connected,
    pending,
    viewer,
    api,
    async connectAgent(cluster) {
      const rotated = await must(`/api/v1/clusters/${cluster}/join-token`, {});
      agents.push(
        await startAgentProcess({
          name: `${cluster}-agent`,
          hubUrl: edge.url,
          token: rotated.joinToken as string,
          kubeconfig,
        }),
      );
    },
    async close() {
      await Promise.all(agents.map((a) => a.kill()));
      await edge.stop();
      await removeState(edge);
      await kube.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
