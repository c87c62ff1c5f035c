import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { subjectHash } from '../../agents/rbac-projection/objects';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  grantClusters,
  registerCluster,
  signInAdmin,
  startAgentCluster,
  eventually as waitFor,
} from '../support/e2e-fleet';
import type { KubeEmulator, KubeObject } from '../support/kube-emulator';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Role projection through the whole path: bindings made at `wrangler dev`
 * become RoleBindings a real agent process keeps in the Kubernetes API
 * emulator — created, changed, removed, put back after drift — while
 * objects edgetower does not manage stay untouched; and the emulator's
 * RBAC then lets a namespace operator use the kube proxy in her namespace
 * only.
 */
const CLUSTER = 'e2e-proj';
const WS = 'team-a';
const PASSWORD = 'Projection-e2e-password-1';
let edge: WranglerDev;
let kube: KubeEmulator;
let workDir: string;
let adminJwt: string;
let agent: AgentProcess;

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);
const post = (p: string, body: unknown) => api(p, { method: 'POST', body: JSON.stringify(body) });

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, {
    intervalMs: 100,
    onTimeout: () => {
      console.log(agent?.output().slice(-4000));
      console.log(edge?.output().slice(-4000));
    },
  });

const rb = (namespace: string, name: string) => kube.store.get('rolebindings', namespace, name);
const managedIn = (namespace: string) =>
  kube.store
    .list('rolebindings', namespace)
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'edgetower')
    .map((o) => o.metadata.name)
    .sort();
const name = (role: string, user: string) => `edgetower-${role}-${subjectHash('User', user)}`;

async function signIn(username: string): Promise<string> {
  const res = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-projection-e2e-'));
  let kubeconfig: string;
  ({ kube, kubeconfig } = await startAgentCluster(workDir, { bookmarkIntervalMs: 1000 }));
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  const joinToken = await registerCluster(api, { name: CLUSTER });
  agent = await startAgentProcess({
    name: 'projection-agent',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
  });
  await eventually(
    async () => {
      const view = (await (await api(`/api/v1/clusters/${CLUSTER}`)).json()) as { agents: number };
      return view.agents === 1 ? true : undefined;
    },
    60_000,
    'the agent to connect',
  );
  for (const user of ['olga', 'ann'])
    expect((await post('/api/v1/users', { name: user, password: PASSWORD })).status).toBe(201);
  expect((await post('/api/v1/workspaces', { name: WS })).status).toBe(201);
  // Namespaces go only in clusters granted to the workspace.
  await grantClusters(api, WS, [CLUSTER]);
  for (const ns of ['team-a-web', 'team-a-api'])
    expect(
      (await post(`/api/v1/workspaces/${WS}/namespaces`, { cluster: CLUSTER, name: ns })).status,
    ).toBe(201);
  // Made with kubectl, not through the API: the workspace label alone brings it in.
  kube.store.create('namespaces', {
    metadata: { name: 'team-a-kubectl', labels: { 'kubesphere.io/workspace': WS } },
  });
  kube.store.create('namespaces', { metadata: { name: 'other-team' } });
  kube.store.create('pods', {
    metadata: { name: 'web-0', namespace: 'team-a-web' },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
  });
  // A RoleBinding someone made by hand: edgetower must never touch it.
  kube.store.create('rolebindings', {
    metadata: { name: 'hand-made', namespace: 'team-a-web' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'auditor' }],
  });
}, 240_000);

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('role projection end to end', () => {
  it('a namespace binding appears in the cluster within 10 s', async () => {
    const started = Date.now();
    const res = await post(`/api/v1/workspaces/${WS}/namespaces/team-a-web/members`, {
      user: 'olga',
      role: 'operator',
    });
    expect(res.status).toBe(201);
    const binding = await eventually(
      async () => rb('team-a-web', name('edit', 'olga')),
      10_000,
      "olga's RoleBinding",
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(binding).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'edgetower' } },
      roleRef: { kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', name: 'olga' }],
    });
    expect(managedIn('team-a-api')).toEqual([]);
  });

  it('an operator lists pods in her namespace through the kube proxy, and the cluster refuses another', async () => {
    const olga = await signIn('olga');
    const k8s = (p: string) =>
      fetch(`${edge.url}/clusters/${CLUSTER}/k8s${p}`, {
        headers: { authorization: `Bearer ${olga}`, accept: 'application/json' },
      });
    const mine = await k8s('/api/v1/namespaces/team-a-web/pods');
    expect(mine.status).toBe(200);
    expect(
      ((await mine.json()) as { items: KubeObject[] }).items.map((p) => p.metadata.name),
    ).toEqual(['web-0']);
    const other = await k8s('/api/v1/namespaces/other-team/pods');
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      message: expect.stringContaining('User "olga" cannot list resource "pods"'),
    });
    expect((await k8s('/api/v1/namespaces/team-a-api/pods')).status).toBe(403);
    const seen = kube.requests.filter((r) => r.impersonateUser === 'olga');
    expect(seen.every((r) => !r.impersonateGroups.includes('system:masters'))).toBe(true);
  });

  it('a workspace-admin binding covers every namespace labelled with the workspace', async () => {
    const res = await post(`/api/v1/workspaces/${WS}/members`, {
      user: 'ann',
      role: 'workspace-admin',
    });
    expect(res.status).toBe(201);
    for (const ns of ['team-a-web', 'team-a-api', 'team-a-kubectl'])
      await eventually(
        async () => rb(ns, name('admin', 'ann')),
        10_000,
        `ann's RoleBinding in ${ns}`,
      );
    expect(rb('other-team', name('admin', 'ann'))).toBeUndefined();
  });

  it('changes and drift: a role change replaces the binding, a deleted or edited one is put back', async () => {
    const res = await api(`/api/v1/workspaces/${WS}/namespaces/team-a-web/members/olga`, {
      method: 'PUT',
      body: JSON.stringify({ role: 'viewer' }),
    });
    expect(res.status).toBe(200);
    await eventually(
      async () =>
        rb('team-a-web', name('view', 'olga')) && !rb('team-a-web', name('edit', 'olga'))
          ? true
          : undefined,
      10_000,
      "olga's binding to move from edit to view",
    );
    kube.store.delete('rolebindings', 'team-a-web', name('view', 'olga'));
    await eventually(
      async () => rb('team-a-web', name('view', 'olga')),
      10_000,
      'the deleted binding back',
    );
    kube.store.patch('rolebindings', 'team-a-api', name('admin', 'ann'), (o) => {
      o.subjects = [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory' }];
    });
    await eventually(
      async () => {
        const subjects = rb('team-a-api', name('admin', 'ann'))?.subjects as
          | { name: string }[]
          | undefined;
        return subjects?.[0]?.name === 'ann' ? true : undefined;
      },
      10_000,
      'the edited binding restored',
    );
  });

  it('removed bindings disappear; objects not managed by edgetower stay untouched', async () => {
    const handMade = rb('team-a-web', 'hand-made');
    expect(
      (
        await api(`/api/v1/workspaces/${WS}/namespaces/team-a-web/members/olga`, {
          method: 'DELETE',
        })
      ).status,
    ).toBe(204);
    expect((await api(`/api/v1/workspaces/${WS}/members/ann`, { method: 'DELETE' })).status).toBe(
      204,
    );
    await eventually(
      async () =>
        ['team-a-web', 'team-a-api', 'team-a-kubectl'].every((ns) => managedIn(ns).length === 0)
          ? true
          : undefined,
      10_000,
      'every managed RoleBinding gone',
    );
    expect(rb('team-a-web', 'hand-made')).toEqual(handMade);
  });
});
