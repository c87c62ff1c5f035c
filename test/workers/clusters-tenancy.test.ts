import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { namespaces, roleBindings } from '../../db/schema';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { bearer, login, seedUser } from './support/auth';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
let agent: TestAgent;

const workloads = { deployments: 0, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 1 };
const ns = (name: string, workspace?: string) => ({
  name,
  phase: 'Active',
  workloads,
  ...(workspace ? { workspace } : {}),
});
const warning = (namespace: string) => ({
  key: `${namespace}/oops`,
  namespace,
  reason: 'BackOff',
  message: 'container restarting',
  involvedObject: { kind: 'Pod', name: 'p', namespace },
  count: 3,
});

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/arm64' },
  nodes: [
    {
      name: 'east-1',
      ready: true,
      edge: false,
      roles: ['worker'],
      kubeletVersion: 'v1.31.0',
      capacity: { cpu: '8' },
      allocatable: { cpu: '8' },
      addresses: [],
      unschedulable: false,
    },
  ],
  namespaces: [ns('alpha-web', 'alpha'), ns('beta-web', 'beta'), ns('default'), ns('kube-system')],
  events: [warning('alpha-web'), warning('beta-web'), warning('kube-system')],
};

const names = (body: unknown) =>
  ((body as { items: { name?: string; key?: string }[] }).items ?? []).map((i) => i.name ?? i.key);

beforeAll(async () => {
  fx = await seedFixture();
  // The fixture's clusters were inserted without a token: rotate one in, as an admin would.
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  expect(rotated.status).toBe(200);
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-agent');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
});

describe('registering clusters: bad input and who may', () => {
  it('rejects malformed JSON, unknown fields, bad names, reserved names and wrong types', async () => {
    const admin = fx.as('admin');
    expect((await api('POST', '/api/v1/clusters', admin, '{"name":')).status).toBe(400);
    const unknown = await api('POST', '/api/v1/clusters', admin, { name: 'ok-1', extra: true });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ code: 'validation_failed' });
    expect((await api('POST', '/api/v1/clusters', admin, { name: 'Not_DNS' })).status).toBe(400);
    expect((await api('POST', '/api/v1/clusters', admin, { name: 'x'.repeat(64) })).status).toBe(
      400,
    );
    expect((await api('POST', '/api/v1/clusters', admin, { name: 'default' })).status).toBe(400);
    expect((await api('POST', '/api/v1/clusters', admin, { name: 7 })).status).toBe(400);
    expect(
      (await api('POST', '/api/v1/clusters', admin, { name: 'ok-2', labels: { 'bad key!': 'v' } }))
        .status,
    ).toBe(400);
    const text = await fetchWorker('/api/v1/clusters', {
      method: 'POST',
      headers: { authorization: admin.authorization!, 'content-type': 'text/plain' },
      body: 'name=x',
    });
    expect(text.status).toBe(415);
  });

  it('needs authentication and a platform role; names are unique', async () => {
    const none = await fetchWorker('/api/v1/clusters', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'anon' }),
    });
    expect(none.status).toBe(401);
    expect((await api('POST', '/api/v1/clusters', fx.as('regular'), { name: 'mine' })).status).toBe(
      403,
    );
    expect(
      (await api('POST', '/api/v1/clusters', fx.as('east-admin'), { name: 'mine' })).status,
    ).toBe(403);
    expect((await api('POST', '/api/v1/clusters', fx.as('admin'), { name: 'east' })).status).toBe(
      409,
    );
    const created = await api('POST', '/api/v1/clusters', fx.as('p-admin'), {
      name: 'south',
      description: 'new site',
      labels: { 'topology.kubernetes.io/region': 'eu-south' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      cluster: {
        name: 'south',
        status: 'pending',
        agents: 0,
        labels: { 'topology.kubernetes.io/region': 'eu-south' },
      },
    });
  });
});

describe('seeing clusters', () => {
  it('lists only the clusters a caller reaches', async () => {
    const list = async (who: Parameters<Fixture['as']>[0]) =>
      names((await api('GET', '/api/v1/clusters', fx.as(who))).body);
    expect(await list('admin')).toEqual(expect.arrayContaining(['east', 'west']));
    expect(await list('east-viewer')).toEqual(['east']);
    expect(await list('alpha-viewer')).toEqual(['east', 'west']);
    expect(await list('proj-viewer')).toEqual(['east']);
    expect(await list('regular')).toEqual([]);
  });

  it('answers 404 for clusters a caller cannot see, and shows live status to those who can', async () => {
    expect((await api('GET', '/api/v1/clusters/east', fx.as('regular'))).status).toBe(404);
    expect((await api('GET', '/api/v1/clusters/nope', fx.as('admin'))).status).toBe(404);
    const view = await api('GET', '/api/v1/clusters/east', fx.as('east-viewer'));
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      name: 'east',
      status: 'connected',
      agents: 1,
      kubernetesVersion: 'v1.31.0',
      nodes: { total: 1, ready: 1, edge: 0 },
    });
    expect((await api('GET', '/api/v1/clusters/west', fx.as('east-viewer'))).status).toBe(404);
  });

  it('lets only cluster admins rotate and only platform admins delete', async () => {
    expect(
      (await api('POST', '/api/v1/clusters/east/join-token', fx.as('east-viewer'))).status,
    ).toBe(403);
    expect(
      (await api('POST', '/api/v1/clusters/east/join-token', fx.as('alpha-admin'))).status,
    ).toBe(403);
    expect(
      (await api('POST', '/api/v1/clusters/west/join-token', fx.as('east-admin'))).status,
    ).toBe(404);
    expect((await api('DELETE', '/api/v1/clusters/east', fx.as('east-admin'))).status).toBe(403);
    expect((await api('DELETE', '/api/v1/clusters/east', fx.as('regular'))).status).toBe(404);
  });
});

describe('callers with many bindings', () => {
  it('sees clusters through more namespace roles than D1 binds parameters', async () => {
    const db = createDb(env.DB);
    const user = await seedUser({ name: 'many-ns' });
    const rows = Array.from({ length: 120 }, (_, i) => ({
      id: crypto.randomUUID(),
      name: `bulk-${String(i).padStart(3, '0')}`,
      workspaceId: fx.ids.workspaces.beta,
      clusterId: fx.ids.clusters.west,
    }));
    for (let i = 0; i < rows.length; i += 20)
      await db.insert(namespaces).values(rows.slice(i, i + 20));
    for (let i = 0; i < rows.length; i += 10)
      await db.insert(roleBindings).values(
        rows.slice(i, i + 10).map((r) => ({
          scopeType: 'namespace' as const,
          scopeId: r.id,
          subjectType: 'user' as const,
          subjectId: user.id,
          role: 'viewer',
        })),
      );
    const token = await login('many-ns', user.password);
    const list = await api('GET', '/api/v1/clusters', bearer(token));
    expect(list.status).toBe(200);
    expect(names(list.body)).toEqual(['west']);
    expect((await api('GET', '/api/v1/clusters/west', bearer(token))).status).toBe(200);
  });
});

describe('inventory reads are tenant-filtered', () => {
  it('shows a workspace member only their workspace namespaces and events', async () => {
    const read = async (who: Parameters<Fixture['as']>[0], what: string) =>
      api('GET', `/api/v1/clusters/east/${what}`, fx.as(who));
    expect(names((await read('admin', 'namespaces')).body)).toEqual([
      'alpha-web',
      'beta-web',
      'default',
      'kube-system',
    ]);
    expect(names((await read('east-viewer', 'namespaces')).body)).toHaveLength(4);
    expect(names((await read('alpha-viewer', 'namespaces')).body)).toEqual(['alpha-web']);
    expect(names((await read('beta-admin', 'namespaces')).body)).toEqual(['beta-web']);
    expect(names((await read('proj-viewer', 'namespaces')).body)).toEqual(['alpha-web']);
    expect(names((await read('alpha-viewer', 'events')).body)).toEqual(['alpha-web/oops']);
    expect(names((await read('admin', 'events')).body)).toHaveLength(3);
    expect((await read('regular', 'namespaces')).status).toBe(404);
  });

  it('keeps nodes to cluster-wide readers', async () => {
    expect(
      names((await api('GET', '/api/v1/clusters/east/nodes', fx.as('east-viewer'))).body),
    ).toEqual(['east-1']);
    expect((await api('GET', '/api/v1/clusters/east/nodes', fx.as('alpha-admin'))).status).toBe(
      403,
    );
    expect((await api('GET', '/api/v1/clusters/east/edge-nodes', fx.as('regular'))).status).toBe(
      404,
    );
    expect((await api('GET', '/api/v1/clusters/east/nodes?limit=0', fx.as('admin'))).status).toBe(
      400,
    );
    expect(
      (await api('GET', '/api/v1/clusters/east/nodes?cursor=%%%', fx.as('admin'))).status,
    ).toBe(400);
  });
});

describe('the kube proxy and monitoring carry the caller identity', () => {
  async function proxied(who: Parameters<Fixture['as']>[0], path: string) {
    const pending = fetchWorker(path, { headers: fx.as(who) });
    const request = await agent.nextOf('request');
    await agent.send({
      type: 'response',
      id: request.id,
      status: 200,
      headers: [['content-type', 'application/json']],
    });
    await agent.sendData(request.id, '{"status":"success","data":{}}');
    await agent.send({ type: 'end', id: request.id });
    const res = await pending;
    return { request, res };
  }

  it('impersonates workspace members as themselves, cluster admins with the admin group', async () => {
    const member = await proxied(
      'alpha-dev',
      '/clusters/east/k8s/api/v1/namespaces/alpha-web/pods',
    );
    expect(member.res.status).toBe(200);
    expect(member.request.impersonate).toEqual({
      user: 'alpha-dev',
      groups: expect.not.arrayContaining(['system:masters']),
    });
    const admin = await proxied('east-admin', '/clusters/east/k8s/api/v1/nodes');
    expect(admin.request.impersonate?.groups).toContain('system:masters');
    expect(
      (await fetchWorker('/clusters/east/k8s/api', { headers: fx.as('regular') })).status,
    ).toBe(404);
  });

  it('lets API-token scopes narrow what the proxy carries', async () => {
    const created = await api('POST', '/api/v1/tokens', fx.as('east-admin'), {
      name: 'read-only kubectl',
      scopes: ['get:k8s'],
    });
    expect(created.status).toBe(201);
    const token = (created.body as { token: string }).token;
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const pending = fetchWorker('/clusters/east/k8s/api/v1/pods', { headers });
    const request = await agent.nextOf('request');
    expect(request.impersonate?.user).toBe('east-admin');
    await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await agent.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(200);
    const write = await fetchWorker('/clusters/east/k8s/api/v1/namespaces', {
      method: 'POST',
      headers,
      body: '{}',
    });
    expect(write.status).toBe(403);
    const watch = await fetchWorker('/clusters/east/k8s/api/v1/pods?watch=true', { headers });
    expect(watch.status).toBe(403);
  });

  it('passes PromQL to the agent Prometheus unscoped for cluster readers', async () => {
    const { request, res } = await proxied(
      'east-viewer',
      '/api/v1/clusters/east/monitoring/api/v1/query?query=up',
    );
    expect(request).toMatchObject({
      target: 'prometheus',
      method: 'GET',
      path: '/api/v1/query?query=up',
    });
    expect(request.impersonate).toBeUndefined();
    expect(await res.json()).toEqual({ status: 'success', data: {} });
    expect(
      (await api('GET', '/api/v1/clusters/east/monitoring/api/v1/query', fx.as('admin'))).status,
    ).toBe(400);
    expect(
      (
        await api(
          'GET',
          '/api/v1/clusters/east/monitoring/api/v1/query_range?query=up',
          fx.as('admin'),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await api(
          'GET',
          '/api/v1/clusters/east/monitoring/api/v1/query?query=up',
          // Namespace members may query their namespaces now (issue #15, rules-*.test.ts);
          // a workspace-regular member reads no monitoring anywhere.
          fx.as('alpha-regular'),
        )
      ).status,
    ).toBe(403);
  });
});
