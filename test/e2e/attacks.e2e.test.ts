import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  eventually,
  registerCluster,
  signInAdmin,
  startAgentCluster,
} from '../support/e2e-fleet';
import type { KubeEmulator } from '../support/kube-emulator';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * The attacks a security review tried against edgetower (issue #12), each
 * replayed end to end: `wrangler dev`, a real agent process and the
 * Kubernetes API emulator, which records every request that reaches the
 * "cluster" with its impersonation. Each case asserts both the answer at
 * the edge and that nothing of it reached the cluster. (The worker-level
 * cases, one file per attack, are in test/workers/attacks/.)
 */
const CLUSTER = 'e2e-attacks';
const PASSWORD = 'Attacks-e2e-password-1';
let edge: WranglerDev;
let kube: KubeEmulator;
let agent: AgentProcess;
let workDir: string;
let adminJwt: string;

const as = (token: string) => (p: string, init?: RequestInit) =>
  bearerFetch(edge.url, token, p, init);
const admin = (p: string, init?: RequestInit) => as(adminJwt)(p, init);
const json = (method: string, body: unknown): RequestInit => ({
  method,
  body: JSON.stringify(body),
});

async function signIn(username: string): Promise<string> {
  const res = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Requests that reached the emulated cluster on namespaces, since `since`. */
const namespaceWrites = (since: number) =>
  kube.requests.filter(
    (r) =>
      r.at >= since && r.resource === 'namespaces' && r.method !== 'GET' && r.method !== 'LIST',
  );

/** A raw HTTP request whose path is sent exactly as written (curl --path-as-is). */
function rawGet(p: string, token: string): Promise<{ status: number; body: string }> {
  const url = new URL(edge.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'GET',
        path: p,
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-attacks-e2e-'));
  let kubeconfig: string;
  ({ kube, kubeconfig } = await startAgentCluster(workDir));
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  const joinToken = await registerCluster(admin, { name: CLUSTER });
  agent = await startAgentProcess({
    name: 'attacks-agent',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
  });
  await eventually(
    async () => {
      const view = (await (await admin(`/api/v1/clusters/${CLUSTER}`)).json()) as {
        agents: number;
      };
      return view.agents === 1 ? true : undefined;
    },
    60_000,
    'the agent to connect',
  );
  for (const user of ['mallory', 'bob'])
    expect(
      (await admin('/api/v1/users', json('POST', { name: user, password: PASSWORD }))).status,
    ).toBe(201);
  // mallory administers team-a, which was never granted the cluster.
  expect((await admin('/api/v1/workspaces', json('POST', { name: 'team-a' }))).status).toBe(201);
  expect(
    (
      await admin(
        '/api/v1/workspaces/team-a/members',
        json('POST', { user: 'mallory', role: 'workspace-admin' }),
      )
    ).status,
  ).toBe(201);
  // team-b's namespace already exists in the cluster, labelled for team-b.
  expect(
    (await admin('/api/v1/workspaces', json('POST', { name: 'team-b', clusters: [CLUSTER] })))
      .status,
  ).toBe(201);
  kube.store.create('namespaces', {
    metadata: { name: 'team-b-api', labels: { 'kubesphere.io/workspace': 'team-b' } },
  });
}, 240_000);

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  await kube?.close();
  if (edge) await removeState(edge);
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('attacks from the security review, end to end', () => {
  it('(tried) a workspace admin without a grant cannot place edgetower-system or another workspace’s namespace', async () => {
    const mallory = as(await signIn('mallory'));
    const since = Date.now();
    for (const name of ['edgetower-system', 'team-b-api']) {
      const res = await mallory(
        '/api/v1/workspaces/team-a/namespaces',
        json('POST', { cluster: CLUSTER, name }),
      );
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('cluster_not_granted');
    }
    // Not granted and not existing answer alike: no probing of cluster names.
    const unknown = await mallory(
      '/api/v1/workspaces/team-a/namespaces',
      json('POST', { cluster: 'no-such-cluster', name: 'x' }),
    );
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { code: string }).code).toBe('cluster_not_granted');
    // She cannot grant the cluster to her own workspace either.
    const grant = await mallory(
      '/api/v1/workspaces/team-a',
      json('PATCH', { clusters: [CLUSTER] }),
    );
    expect(grant.status).toBe(404);
    expect(namespaceWrites(since)).toEqual([]);
    expect(kube.store.get('namespaces', '', 'team-b-api')?.metadata.labels).toEqual({
      'kubesphere.io/workspace': 'team-b',
    });
  });

  it('never a takeover, even with the grant: reserved names and another workspace’s namespace are refused', async () => {
    expect(
      (await admin('/api/v1/workspaces/team-a', json('PATCH', { clusters: [CLUSTER] }))).status,
    ).toBe(200);
    const mallory = as(await signIn('mallory'));
    const since = Date.now();
    const reserved = await mallory(
      '/api/v1/workspaces/team-a/namespaces',
      json('POST', { cluster: CLUSTER, name: 'edgetower-system' }),
    );
    expect(reserved.status).toBe(409);
    expect(((await reserved.json()) as { code: string }).code).toBe('namespace_reserved');
    const theirs = await mallory(
      '/api/v1/workspaces/team-a/namespaces',
      json('POST', { cluster: CLUSTER, name: 'team-b-api' }),
    );
    expect(theirs.status).toBe(409);
    expect(((await theirs.json()) as { code: string }).code).toBe(
      'namespace_owned_by_other_workspace',
    );
    expect(namespaceWrites(since)).toEqual([]);
    expect(kube.store.get('namespaces', '', 'team-b-api')?.metadata.labels).toEqual({
      'kubesphere.io/workspace': 'team-b',
    });
  });

  it('(tried) a tenant-made group never becomes a group the cluster trusts', async () => {
    expect((await admin('/api/v1/workspaces', json('POST', { name: 'kubeadm' }))).status).toBe(400);
    expect(
      (
        await admin(
          '/api/v1/workspaces/team-a/groups',
          json('POST', { name: 'cluster-admins', role: 'workspace-viewer' }),
        )
      ).status,
    ).toBe(201);
    expect(
      (
        await admin(
          '/api/v1/workspaces/team-a/groups/cluster-admins/members',
          json('POST', { user: 'bob' }),
        )
      ).status,
    ).toBe(201);
    const bob = await signIn('bob');
    const since = Date.now();
    const res = await as(bob)(`/clusters/${CLUSTER}/k8s/api/v1/namespaces/kube-system/secrets`);
    // The cluster's RBAC refuses: bob holds no role in kube-system.
    expect(res.status).toBe(403);
    const seen = kube.requests.filter((r) => r.at >= since && r.impersonateUser === 'bob');
    expect(seen.length).toBeGreaterThan(0);
    for (const r of seen) {
      expect(r.impersonateGroups).toEqual(['edgetower:team-a:cluster-admins']);
      expect(r.impersonateGroups).not.toContain('system:masters');
    }
  });

  it('(tried) a token scoped to create:alerts cannot change its owner’s password', async () => {
    const bob = as(await signIn('bob'));
    const created = await bob(
      '/api/v1/tokens',
      json('POST', { name: 'alerts-only', scopes: ['create:alerts'] }),
    );
    expect(created.status).toBe(201);
    const { token } = (await created.json()) as { token: string };
    const res = await as(token)(
      '/api/v1/users/bob',
      json('PUT', { password: 'Taken-over-password-1' }),
    );
    expect(res.status).toBe(403);
    // The old password still signs in.
    await signIn('bob');
  });

  it('(tried) proxy paths with // or dot segments are refused before the tunnel', async () => {
    const since = Date.now();
    for (const p of [
      `/clusters/${CLUSTER}/k8s//api/v1/namespaces`,
      // (`..` and `%2e%2e` are resolved by the runtime before the worker: the
      // request then names the normalized path and is authorized as that.)
      `/clusters/${CLUSTER}/k8s/api/v1/namespaces/%252e%252e/secrets`,
      `/clusters/${CLUSTER}/k8s/api/v1/namespaces/default%5c..%5csecrets`,
      `/clusters/${CLUSTER}/k8s/api/v1/namespaces%2fkube-system/secrets`,
    ]) {
      const res = await rawGet(p, adminJwt);
      expect(res.status, p).toBe(400);
      expect((JSON.parse(res.body) as { code: string }).code).toBe('bad_proxy_path');
    }
    expect(kube.requests.filter((r) => r.at >= since && r.path.includes('secrets'))).toEqual([]);
  });

  it('(tried) one silence with ((.+))+# cannot stall everyone’s alert listing', async () => {
    const long = 'x'.repeat(37);
    const alerts = Array.from({ length: 50 }, (_, i) => ({
      labels: { alertname: 'Stall', cluster: CLUSTER, pod: `${long}${i}` },
    }));
    expect((await admin('/api/v2/alerts', json('POST', alerts))).status).toBe(200);
    const silence = await admin(
      '/api/v2/silences',
      json('POST', {
        matchers: [{ name: 'pod', value: '((.+))+#', isRegex: true, isEqual: true }],
        startsAt: new Date().toISOString(),
        endsAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdBy: 'mallory',
        comment: 'catastrophic backtracking',
      }),
    );
    expect(silence.status).toBe(200);
    const started = Date.now();
    const listed = await admin('/api/v2/alerts?filter=alertname%3D%22Stall%22');
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as unknown[]).length).toBe(50);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('(tried) webhook targets that spell loopback or cloud metadata are refused', async () => {
    for (const url of [
      'http://[::ffff:169.254.169.254]/latest/meta-data',
      'http://169.254.169.254/latest/meta-data',
      'http://0xa9fea9fe/',
    ]) {
      const res = await admin(
        '/api/v1/notification/channels',
        json('POST', {
          name: `c${Math.random().toString(36).slice(2, 8)}`,
          type: 'webhook',
          config: { url },
        }),
      );
      expect(res.status, url).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('target_not_allowed');
    }
  });
});
