import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentManifestObjects } from '../../protocol/agent-manifest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  registerCluster,
  signInAdmin,
  startAgentCluster,
  eventually as waitFor,
} from '../support/e2e-fleet';
import type { KubeEmulator, KubeObject } from '../support/kube-emulator';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Application delivery through the whole path: apps made at `wrangler dev`
 * reach two emulated clusters, each with a real agent process, applied by
 * server-side apply as the app's editor; status, drift, offline catch-up,
 * a halting staged rollout, deletion everywhere and the tenancy refusals.
 */
const WS = 'deliv';
const OTHER_WS = 'rival';
const NS = 'deliv-shop';
const PASSWORD = 'Delivery-e2e-password-1';
const EDITOR = 'ann';
const wrangler = path.resolve(import.meta.dirname, '../../node_modules/.bin/wrangler');

interface Member {
  name: string;
  kube: KubeEmulator;
  kubeconfig: string;
  workDir: string;
  token: string;
  agent?: AgentProcess;
}
const members: Member[] = [];
const [A, B] = ['e2e-dl-a', 'e2e-dl-b'];
let edge: WranglerDev;
let adminJwt: string;
let annJwt: string;

const admin = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);
const ann = (p: string, init?: RequestInit) => bearerFetch(edge.url, annJwt, p, init);
const member = (name: string) => members.find((m) => m.name === name) as Member;

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, {
    intervalMs: 100,
    onTimeout: () => {
      for (const m of members) console.log(m.name, m.agent?.output().slice(-3000));
      console.log(edge?.output().slice(-3000));
    },
  });

interface ClusterStatus {
  cluster: string;
  state: string;
  observedGeneration: number;
  message?: string;
}
interface AppView {
  generation: number;
  status: {
    phase: string;
    message?: string;
    halted?: { cluster: string; message: string };
    clusters: ClusterStatus[];
  };
}

const getApp = async (name: string): Promise<AppView | undefined> => {
  const res = await ann(`/api/v1/workspaces/${WS}/apps/${name}`);
  return res.status === 200 ? ((await res.json()) as AppView) : undefined;
};

/** Waits until every listed cluster reports `state` at `generation`. */
const clustersAre = (name: string, state: string, generation: number, clusters = [A, B]) =>
  eventually(
    async () => {
      const view = await getApp(name);
      const ok = clusters.every((c) =>
        view?.status.clusters.some(
          (s) => s.cluster === c && s.state === state && s.observedGeneration === generation,
        ),
      );
      return ok ? view : undefined;
    },
    30_000,
    `${name} ${state} at generation ${generation} on ${clusters.join(', ')}`,
  );

const deployment = (name: string, image: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image }] } },
  },
});

const webSpec = (image: string) => ({
  name: 'web',
  namespace: NS,
  manifests: [
    deployment('web', image),
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'web-conf' }, data: { a: '1' } },
  ],
  placement: { clusters: [A, B] },
  nodes: 'edge',
  overrides: [{ clusters: [B], replicas: 3, images: { web: 'nginx:1.28-b' } }],
});

const deploymentIn = (cluster: string, name = 'web') =>
  member(cluster).kube.store.get('deployments', NS, name) as
    | (KubeObject & {
        spec: {
          replicas: number;
          template: {
            spec: {
              containers: { image: string }[];
              nodeSelector?: Record<string, string>;
              tolerations?: { key: string }[];
            };
          };
        };
      })
    | undefined;

/** Grants clusters to a workspace: through the API when it takes `clusters`, else in D1 directly. */
async function grant(workspace: string, clusters: string[]): Promise<void> {
  const res = await admin(`/api/v1/workspaces/${workspace}`, {
    method: 'PATCH',
    body: JSON.stringify({ clusters }),
  });
  if (res.ok) return;
  for (const cluster of clusters)
    await promisify(execFile)(
      wrangler,
      [
        'd1',
        'execute',
        'DB',
        '--local',
        '--persist-to',
        edge.persistDir,
        '--command',
        `INSERT OR IGNORE INTO workspace_clusters (workspace_id, cluster_id, granted_by, created_at)
       SELECT w.id, c.id, 'e2e', CAST(strftime('%s','now') AS INTEGER) * 1000
       FROM workspaces w, clusters c WHERE w.name = '${workspace}' AND c.name = '${cluster}'`,
      ],
      { cwd: path.resolve(import.meta.dirname, '../..'), env: { ...process.env, CI: 'true' } },
    );
}

async function startAgent(m: Member): Promise<void> {
  m.agent = await startAgentProcess({
    name: `${m.name}-agent`,
    hubUrl: edge.url,
    token: m.token,
    kubeconfig: m.kubeconfig,
    dataDir: path.join(m.workDir, 'agent-data'),
  });
}

async function agentsOf(cluster: string): Promise<number> {
  const view = (await (await admin(`/api/v1/clusters/${cluster}`)).json()) as { agents: number };
  return view.agents;
}

beforeAll(async () => {
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  for (const name of [A, B]) {
    const workDir = await mkdtemp(path.join(tmpdir(), `edgetower-delivery-e2e-${name}-`));
    const { kube, kubeconfig } = await startAgentCluster(workDir, {
      bookmarkIntervalMs: 1000,
      workloads: { readyDelayMs: 200, failDelayMs: 1500 },
    });
    const token = await registerCluster(admin, { name, labels: { zone: name.slice(-1) } });
    // What the agent manifest installs: the namespace-placement group's ClusterRole and binding.
    for (const obj of agentManifestObjects({ clusterName: name, hubUrl: edge.url, token }))
      if (obj.kind === 'ClusterRole' || obj.kind === 'ClusterRoleBinding')
        kube.store.upsert(obj.kind === 'ClusterRole' ? 'clusterroles' : 'clusterrolebindings', {
          ...(obj as unknown as KubeObject),
        });
    const m: Member = { name, kube, kubeconfig, workDir, token };
    members.push(m);
    await startAgent(m);
  }
  for (const name of [A, B])
    await eventually(async () => ((await agentsOf(name)) === 1 ? true : undefined), 60_000, name);

  expect(
    (
      await admin('/api/v1/users', {
        method: 'POST',
        body: JSON.stringify({ name: EDITOR, password: PASSWORD }),
      })
    ).status,
  ).toBe(201);
  for (const ws of [WS, OTHER_WS])
    expect(
      (await admin('/api/v1/workspaces', { method: 'POST', body: JSON.stringify({ name: ws }) }))
        .status,
    ).toBe(201);
  await grant(WS, [A, B]);
  await grant(OTHER_WS, [A]);
  expect(
    (
      await admin(`/api/v1/workspaces/${WS}/members`, {
        method: 'POST',
        body: JSON.stringify({ user: EDITOR, role: 'workspace-admin' }),
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await admin(`/api/v1/workspaces/${OTHER_WS}/namespaces`, {
        method: 'POST',
        body: JSON.stringify({ cluster: A, name: 'rival-web' }),
      })
    ).status,
  ).toBe(201);
  const login = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: EDITOR, password: PASSWORD }),
  });
  expect(login.status).toBe(200);
  annJwt = ((await login.json()) as { access_token: string }).access_token;
}, 240_000);

afterAll(async () => {
  for (const m of members) await m.agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  for (const m of members) {
    await m.kube.close();
    await rm(m.workDir, { recursive: true, force: true });
  }
});

describe('application delivery end to end', () => {
  it('an app placed on both clusters is ready in both, applied by SSA as the editor', async () => {
    const started = Date.now();
    const res = await ann(`/api/v1/workspaces/${WS}/apps`, {
      method: 'POST',
      body: JSON.stringify(webSpec('nginx:1.27')),
    });
    expect(res.status).toBe(201);
    const view = await clustersAre('web', 'ready', 1);
    console.log(`[delivery e2e] POST to both clusters ready: ${Date.now() - started} ms`);
    expect(view.status.phase).toBe('Ready');
    for (const name of [A, B]) {
      const { kube } = member(name);
      // The namespace: created by the agent, labelled, as the editor with the placement group only.
      const ns = kube.store.get('namespaces', undefined, NS);
      expect(ns?.metadata.labels?.['kubesphere.io/workspace']).toBe(WS);
      const created = kube.requests.find(
        (r) => r.method === 'POST' && r.resource === 'namespaces' && r.impersonateUser === EDITOR,
      );
      expect(created?.status).toBe(201);
      expect(created?.impersonateGroups).toEqual(['edgetower:namespace-placement']);
      const dep = deploymentIn(name);
      expect(dep?.metadata.labels).toMatchObject({
        'app.edgetower.io/name': 'web',
        'app.edgetower.io/generation': '1',
        'kubesphere.io/workspace': WS,
      });
      expect(dep?.metadata.labels?.['app.edgetower.io/id']).toBeTruthy();
      const managers = (
        (dep?.metadata as { managedFields?: { manager: string }[] } | undefined)?.managedFields ??
        []
      ).map((f) => f.manager);
      expect(managers).toContain('edgetower');
      const applies = kube.requests.filter(
        (r) => r.method === 'PATCH' && r.query.includes('fieldManager=edgetower'),
      );
      expect(applies.length).toBeGreaterThanOrEqual(2);
      expect(applies.every((r) => r.impersonateUser === EDITOR)).toBe(true);
      expect(applies.every((r) => !r.impersonateGroups.includes('system:masters'))).toBe(true);
      expect(kube.store.get('configmaps', NS, 'web-conf')).toBeDefined();
    }
  });

  it('overrides per cluster and edge placement reach the objects', () => {
    const a = deploymentIn(A);
    const b = deploymentIn(B);
    expect(a?.spec.replicas).toBe(1);
    expect(a?.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
    expect(b?.spec.replicas).toBe(3);
    expect(b?.spec.template.spec.containers[0]?.image).toBe('nginx:1.28-b');
    for (const dep of [a, b]) {
      const pod = dep?.spec.template.spec;
      expect(
        Object.keys(pod?.nodeSelector ?? {}).includes('node-role.kubernetes.io/edge') ||
          JSON.stringify(pod).includes('node-role.kubernetes.io/edge'),
      ).toBe(true);
      expect(pod?.tolerations?.some((t) => t.key === 'node-role.kubernetes.io/edge')).toBe(true);
    }
  });

  it('an edit reaches both clusters as generation 2', async () => {
    const started = Date.now();
    const res = await ann(`/api/v1/workspaces/${WS}/apps/web`, {
      method: 'PUT',
      body: JSON.stringify(webSpec('nginx:1.29')),
    });
    expect(res.status).toBe(200);
    await eventually(
      async () =>
        [A, B].every(
          (c) => deploymentIn(c)?.metadata.labels?.['app.edgetower.io/generation'] === '2',
        )
          ? true
          : undefined,
      15_000,
      'generation 2 in both clusters',
    );
    console.log(`[delivery e2e] edit to both clusters applied: ${Date.now() - started} ms`);
    await clustersAre('web', 'ready', 2);
    expect(deploymentIn(A)?.spec.template.spec.containers[0]?.image).toBe('nginx:1.29');
    expect(deploymentIn(B)?.spec.template.spec.containers[0]?.image).toBe('nginx:1.28-b');
  });

  it('a Deployment deleted in the cluster is put back', async () => {
    const before = deploymentIn(A)?.metadata.uid;
    member(A).kube.store.delete('deployments', NS, 'web');
    expect(deploymentIn(A)).toBeUndefined();
    const back = await eventually(
      async () => {
        const dep = deploymentIn(A);
        return dep && dep.metadata.uid !== before ? dep : undefined;
      },
      30_000,
      'the deleted Deployment to come back',
    );
    expect(back.metadata.labels?.['app.edgetower.io/generation']).toBe('2');
    await clustersAre('web', 'ready', 2, [A]);
  });

  it('an offline cluster shows unreachable, then catches up with the latest generation', async () => {
    const b = member(B);
    await b.agent?.kill();
    await eventually(
      async () =>
        (await getApp('web'))?.status.clusters.some(
          (s) => s.cluster === B && s.state === 'unreachable',
        )
          ? true
          : undefined,
      30_000,
      'cluster B unreachable',
    );
    const res = await ann(`/api/v1/workspaces/${WS}/apps/web`, {
      method: 'PUT',
      body: JSON.stringify(webSpec('nginx:1.30')),
    });
    expect(res.status).toBe(200);
    const view = await clustersAre('web', 'ready', 3, [A]);
    expect(view.status.clusters.find((s) => s.cluster === B)?.state).toBe('unreachable');
    expect(deploymentIn(B)?.metadata.labels?.['app.edgetower.io/generation']).toBe('2');
    await startAgent(b);
    await clustersAre('web', 'ready', 3, [A, B]);
    expect(deploymentIn(B)?.metadata.labels?.['app.edgetower.io/generation']).toBe('3');
    expect(deploymentIn(A)?.spec.template.spec.containers[0]?.image).toBe('nginx:1.30');
  });

  it('a staged rollout halts on a broken image at the first cluster; the second is untouched', async () => {
    const spec = (image: string) => ({
      name: 'roll',
      namespace: NS,
      manifests: [deployment('roll', image)],
      placement: { clusters: [A, B] },
      rollout: { maxUnavailableClusters: 1, progressDeadlineSeconds: 120 },
    });
    const res = await ann(`/api/v1/workspaces/${WS}/apps`, {
      method: 'POST',
      body: JSON.stringify(spec('nginx:1.27')),
    });
    expect(res.status).toBe(201);
    await clustersAre('roll', 'ready', 1);
    const put = await ann(`/api/v1/workspaces/${WS}/apps/roll`, {
      method: 'PUT',
      body: JSON.stringify(spec('registry.example/broken:1')),
    });
    expect(put.status).toBe(200);
    const halted = await eventually(
      async () => {
        const view = await getApp('roll');
        return view?.status.phase === 'Halted' ? view : undefined;
      },
      30_000,
      'the rollout to halt',
    );
    const failing = halted.status.halted?.cluster as string;
    expect([A, B]).toContain(failing);
    expect(halted.status.message).toContain(failing);
    const untouched = failing === A ? B : A;
    const other = deploymentIn(untouched, 'roll');
    expect(other?.metadata.labels?.['app.edgetower.io/generation']).toBe('1');
    expect(other?.spec.template.spec.containers[0]?.image).toBe('nginx:1.27');
    expect(deploymentIn(failing, 'roll')?.spec.template.spec.containers[0]?.image).toBe(
      'registry.example/broken:1',
    );
    // Still halted a moment later: the second cluster does not get the broken generation.
    await new Promise((r) => setTimeout(r, 2000));
    expect(deploymentIn(untouched, 'roll')?.metadata.labels?.['app.edgetower.io/generation']).toBe(
      '1',
    );
  });

  it('refuses an ungranted cluster (400) and another workspace namespace (409)', async () => {
    // Cluster B is not granted to the rival workspace; admin acts there.
    const ungranted = await admin(`/api/v1/workspaces/${OTHER_WS}/apps`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'nope',
        namespace: 'rival-web',
        manifests: [deployment('nope', 'nginx:1.27')],
        placement: { clusters: [B] },
      }),
    });
    expect(ungranted.status).toBe(400);
    const taken = await ann(`/api/v1/workspaces/${WS}/apps`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'steal',
        namespace: 'rival-web',
        manifests: [deployment('steal', 'nginx:1.27')],
        placement: { clusters: [A] },
      }),
    });
    expect(taken.status).toBe(409);
    expect(await taken.json()).toMatchObject({ code: 'namespace_owned_by_other_workspace' });
    expect(member(A).kube.store.get('deployments', 'rival-web', 'steal')).toBeUndefined();
  });

  it('deleting an app removes its objects everywhere, then it is gone', async () => {
    const res = await ann(`/api/v1/workspaces/${WS}/apps/web`, { method: 'DELETE' });
    expect(res.status).toBe(202);
    expect(((await res.json()) as AppView).status.phase).toBe('Deleting');
    await eventually(
      async () =>
        (await ann(`/api/v1/workspaces/${WS}/apps/web`)).status === 404 ? true : undefined,
      30_000,
      'the app to be gone',
    );
    for (const name of [A, B]) {
      expect(deploymentIn(name)).toBeUndefined();
      expect(member(name).kube.store.get('configmaps', NS, 'web-conf')).toBeUndefined();
      // The namespace stays; the other app's objects stay.
      expect(member(name).kube.store.get('namespaces', undefined, NS)).toBeDefined();
      expect(deploymentIn(name, 'roll')).toBeDefined();
    }
  });
});
