import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  registerCluster,
  signInAdmin,
  startAgentCluster,
  eventually as waitFor,
} from '../support/e2e-fleet';
import type { KubeEmulator } from '../support/kube-emulator';
import { freePort, removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Workspace quotas through the whole path: a PUT at `wrangler dev` reaches a
 * real agent process over the tunnel, the agent registers its admission
 * webhook in the Kubernetes API emulator, the emulator calls it over HTTPS
 * (checking the caBundle) on pod creates, and the agent's usage report and
 * denial come back as the quota's `used` and a WorkspaceQuotaExceeded alert.
 */
const CLUSTER = 'e2e-quota';
let edge: WranglerDev;
let kube: KubeEmulator;
let workDir: string;
let adminJwt: string;
let agent: AgentProcess;

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, {
    intervalMs: 200,
    onTimeout: () => {
      console.log(agent?.output().slice(-3000));
      console.log(edge?.output().slice(-5000));
    },
  });

const createPod = async (name: string, cpu: string) => {
  const res = await fetch(`${kube.url}/api/v1/namespaces/qa-web/pods`, {
    method: 'POST',
    headers: { authorization: `Bearer ${kube.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      metadata: { name },
      spec: {
        containers: [
          { name: 'app', image: 'nginx', resources: { requests: { cpu, memory: '32Mi' } } },
        ],
      },
    }),
  });
  return { status: res.status, body: (await res.json()) as { message?: string } };
};

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-quota-e2e-'));
  let kubeconfig: string;
  ({ kube, kubeconfig } = await startAgentCluster(workDir, { bookmarkIntervalMs: 1000 }));
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  const joinToken = await registerCluster(api, { name: CLUSTER });
  const port = await freePort();
  agent = await startAgentProcess({
    name: 'quota-agent',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
    extraArgs: [
      '--webhook-listen',
      `127.0.0.1:${port}`,
      '--webhook-url',
      `https://127.0.0.1:${port}/validate-pods`,
    ],
  });
  await eventually(
    async () => {
      const view = (await (await api(`/api/v1/clusters/${CLUSTER}`)).json()) as { agents: number };
      return view.agents === 1 ? true : undefined;
    },
    60_000,
    'the agent to connect',
  );
  // Namespaces go only in clusters granted to the workspace.
  const created = await api('/api/v1/workspaces', {
    method: 'POST',
    body: JSON.stringify({ name: 'qa', clusters: [CLUSTER] }),
  });
  expect(created.status).toBe(201);
  const placed = await api('/api/v1/workspaces/qa/namespaces', {
    method: 'POST',
    body: JSON.stringify({ cluster: CLUSTER, name: 'qa-web' }),
  });
  expect(placed.status).toBe(201);
}, 180_000);

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('workspace quotas end to end', () => {
  it('enforces a quota PUT at the edge in the cluster, and reports usage and denials back', async () => {
    const put = await api('/api/v1/workspaces/qa/quota', {
      method: 'PUT',
      body: JSON.stringify({ hard: { cpu: '1', pods: '5' } }),
    });
    expect(put.status).toBe(200);
    expect(((await put.json()) as { distributed: unknown }).distributed).toEqual([
      { cluster: CLUSTER, agents: 1 },
    ]);
    await eventually(
      async () => {
        const config = kube.store.get(
          'validatingwebhookconfigurations',
          undefined,
          'edgetower-agent-quotas',
        ) as
          | { webhooks: { namespaceSelector: { matchExpressions: { values?: string[] }[] } }[] }
          | undefined;
        return config?.webhooks[0]?.namespaceSelector.matchExpressions[0]?.values?.includes('qa')
          ? true
          : undefined;
      },
      30_000,
      'the webhook configuration for workspace qa',
    );
    // The ledger may still be syncing: it refuses with "retry shortly" until then.
    const first = await eventually(
      async () => {
        const res = await createPod('web-1', '600m');
        return res.status === 201 ? res : undefined;
      },
      20_000,
      'the first pod to be admitted',
    );
    expect(first.status).toBe(201);
    const over = await createPod('web-2', '600m');
    expect(over.status).toBe(403);
    expect(over.body.message).toContain(
      'exceeded quota of workspace "qa": requested: cpu=600m, used: cpu=600m',
    );
    expect(kube.admissionCalls.some((c) => c.outcome === 'denied')).toBe(true);

    // The leader's report (every 10 s when changed) reaches GET.
    const quota = await eventually(
      async () => {
        const body = (await (await api('/api/v1/workspaces/qa/quota')).json()) as {
          used: Record<string, string>;
          clusters: { cluster: string; used: Record<string, string> }[];
        };
        return body.used.cpu === '600m' ? body : undefined;
      },
      40_000,
      'the usage report',
    );
    expect(quota.used).toMatchObject({ pods: '1', cpu: '600m' });
    expect(quota.clusters).toEqual([
      expect.objectContaining({ cluster: CLUSTER, used: expect.objectContaining({ cpu: '600m' }) }),
    ]);

    // The denial raised the alert.
    const alerts = await eventually(
      async () => {
        const list = (await (await api('/api/v2/alerts')).json()) as {
          labels: Record<string, string>;
        }[];
        const quotaAlerts = list.filter((a) => a.labels.alertname === 'WorkspaceQuotaExceeded');
        return quotaAlerts.length > 0 ? quotaAlerts : undefined;
      },
      40_000,
      'the WorkspaceQuotaExceeded alert',
    );
    expect(alerts[0]?.labels).toMatchObject({
      workspace: 'qa',
      cluster: CLUSTER,
      resource: 'cpu',
      severity: 'warning',
    });
  });
});
