import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { clusterByName } from '../../db/queries/clusters';
import { roleBindings } from '../../db/schema';
import { forgetPrincipals } from '../../functions/auth/principal-cache';
import type { InventorySnapshot } from '../../functions/tunnel/inventory';
import { connectAgent } from './support/agent-socket';
import { bearer, login, seedUser } from './support/auth';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { NamespaceCluster } from './support/namespace-cluster';

/**
 * Workspaces are granted clusters (KubeSphere's workspace placement): who
 * may grant and revoke, what the workspace view says, and what members see
 * of granted clusters. `south` is a new cluster, granted to nobody at first.
 */
let fx: Fixture;
let south: NamespaceCluster;
let southAdmin: Record<string, string>;
let bothAdmin: Record<string, string>;

const names = (body: unknown) => (body as { items: { name: string }[] }).items.map((i) => i.name);
const ws = (who: Persona | Record<string, string>, method: string, body?: unknown) =>
  api(method, '/api/v1/workspaces/alpha', typeof who === 'string' ? fx.as(who) : who, body);

beforeAll(async () => {
  fx = await seedFixture();
  const created = await api('POST', '/api/v1/clusters', fx.as('admin'), { name: 'south' });
  expect(created.status).toBe(201);
  const agent = await connectAgent((created.body as { joinToken: string }).joinToken, 'south-a');
  const inventory: InventorySnapshot = {
    type: 'snapshot',
    seq: 1,
    cluster: { kubernetesVersion: 'v1.30.2', platform: 'linux/arm64' },
    nodes: [],
    namespaces: [
      { name: 'kube-system', phase: 'Active', workloads: zero() },
      { name: 'beta-south', workspace: 'beta', phase: 'Active', workloads: zero() },
      { name: 'alpha-legacy', workspace: 'alpha', phase: 'Active', workloads: zero() },
    ],
    events: [],
  };
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  south = new NamespaceCluster(agent);

  // A cluster-admin of south, and one who is that and alpha's workspace-admin.
  const db = createDb(env.DB);
  const southId = (await clusterByName(db, 'south'))!.id;
  const only = await seedUser({ name: 'south-admin' });
  const both = await seedUser({ name: 'south-alpha' });
  await db.insert(roleBindings).values([
    {
      scopeType: 'cluster',
      scopeId: southId,
      subjectType: 'user',
      subjectId: only.id,
      role: 'cluster-admin',
    },
    {
      scopeType: 'cluster',
      scopeId: southId,
      subjectType: 'user',
      subjectId: both.id,
      role: 'cluster-admin',
    },
    {
      scopeType: 'workspace',
      scopeId: fx.ids.workspaces.alpha,
      subjectType: 'user',
      subjectId: both.id,
      role: 'workspace-admin',
    },
  ]);
  forgetPrincipals();
  southAdmin = bearer(await login('south-admin', only.password));
  bothAdmin = bearer(await login('south-alpha', both.password));
});

function zero() {
  return { deployments: 0, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 0 };
}

describe('the workspace view names its clusters', () => {
  it('in get and list, sorted', async () => {
    expect((await ws('alpha-viewer', 'GET')).body).toMatchObject({ clusters: ['east', 'west'] });
    const list = await api('GET', '/api/v1/workspaces', fx.as('admin'));
    expect((list.body as { items: { name: string; clusters: string[] }[] }).items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'alpha', clusters: ['east', 'west'] }),
        expect.objectContaining({ name: 'beta', clusters: ['east', 'west'] }),
      ]),
    );
  });

  it('a new workspace gets the clusters its creator may grant', async () => {
    const made = await api('POST', '/api/v1/workspaces', fx.as('admin'), {
      name: 'gamma',
      clusters: ['west', 'east', 'west'],
    });
    expect(made).toMatchObject({
      status: 201,
      body: { name: 'gamma', clusters: ['east', 'west'] },
    });
    // A workspaces-manager sees every cluster but has no rights over any.
    const manager = fx.as('ws-mgr');
    expect(
      await api('POST', '/api/v1/workspaces', manager, { name: 'delta', clusters: ['east'] }),
    ).toMatchObject({ status: 403, body: { code: 'forbidden' } });
    expect(
      (await api('POST', '/api/v1/workspaces', manager, { name: 'delta', clusters: ['nope'] }))
        .status,
    ).toBe(404);
    expect(await api('POST', '/api/v1/workspaces', manager, { name: 'delta' })).toMatchObject({
      status: 201,
      body: { clusters: [] },
    });
    expect(
      (await api('POST', '/api/v1/workspaces', fx.as('admin'), { name: 'eps', clusters: ['Bad!'] }))
        .status,
    ).toBe(400);
  });
});

describe('granting and revoking take rights over the cluster', () => {
  it('a workspace admin cannot grant her workspace a cluster: unseen ones are 404 like absent ones, seen ones 403', async () => {
    const unseen = await ws('alpha-admin', 'PATCH', { clusters: ['east', 'south', 'west'] });
    const absent = await ws('alpha-admin', 'PATCH', { clusters: ['east', 'nope', 'west'] });
    expect(unseen.status).toBe(404);
    expect(absent.status).toBe(404);
    expect((unseen.body as { code: string }).code).toBe((absent.body as { code: string }).code);
    expect((unseen.body as { message: string }).message).toBe('Cluster "south" not found.');
    expect(await ws('alpha-admin', 'PATCH', { clusters: ['west'] })).toMatchObject({
      status: 403,
      body: { code: 'forbidden' },
    });
    // The same set, and a description alone, need no cluster rights.
    expect(await ws('alpha-admin', 'PATCH', { clusters: ['west', 'east'] })).toMatchObject({
      status: 200,
      body: { clusters: ['east', 'west'], unplaced: [] },
    });
    expect(await ws('alpha-admin', 'PUT', { description: 'team alpha' })).toMatchObject({
      status: 200,
      body: { description: 'team alpha', clusters: ['east', 'west'] },
    });
  });

  it('a cluster admin without a role in the workspace does not see it; one with both grants', async () => {
    expect((await ws(southAdmin, 'PATCH', { clusters: ['east', 'south', 'west'] })).status).toBe(
      404,
    );
    const granted = await ws(bothAdmin, 'PATCH', { clusters: ['east', 'south', 'west'] });
    expect(granted).toMatchObject({
      status: 200,
      body: { name: 'alpha', clusters: ['east', 'south', 'west'], unplaced: [] },
    });
    const audit = await api('GET', '/api/v1/audit?resource=workspaceclusters', fx.as('admin'));
    expect((audit.body as { items: unknown[] }).items).toContainEqual(
      expect.objectContaining({
        user: 'south-alpha',
        verb: 'create',
        resource: 'workspaceclusters',
        name: 'south',
        workspace: 'alpha',
        cluster: 'south',
        outcome: 'success',
      }),
    );
  });
});

describe('members see granted clusters, reduced', () => {
  const fullOnly = ['agents', 'connectedAgents', 'joinTokenRotatedAt', 'labels', 'description'];

  it('in the list and by name: name, status, version and node counts only', async () => {
    const list = await api('GET', '/api/v1/clusters', fx.as('alpha-regular'));
    expect(names(list.body)).toEqual(['east', 'south', 'west']);
    const view = await api('GET', '/api/v1/clusters/south', fx.as('alpha-regular'));
    expect(view).toMatchObject({
      status: 200,
      body: { name: 'south', status: 'connected', kubernetesVersion: 'v1.30.2' },
    });
    expect(Object.keys(view.body as object).sort()).toEqual([
      'kubernetesVersion',
      'name',
      'nodes',
      'status',
    ]);
    for (const item of (list.body as { items: object[] }).items)
      for (const key of fullOnly) expect(item).not.toHaveProperty(key);
    // Cluster roles still get the full view.
    const full = await api('GET', '/api/v1/clusters/south', southAdmin);
    expect(full.body).toHaveProperty('connectedAgents');
    expect(full.body).toHaveProperty('joinTokenRotatedAt');
  });

  it('other tenants and project members elsewhere still get 404', async () => {
    expect((await api('GET', '/api/v1/clusters/south', fx.as('beta-admin'))).status).toBe(404);
    expect(names((await api('GET', '/api/v1/clusters', fx.as('beta-admin'))).body)).toEqual([
      'east',
      'west',
    ]);
    // A project member sees the cluster of its project only.
    expect(names((await api('GET', '/api/v1/clusters', fx.as('proj-viewer'))).body)).toEqual([
      'east',
    ]);
    expect((await api('GET', '/api/v1/clusters/south', fx.as('proj-viewer'))).status).toBe(404);
    const overview = await api('GET', '/api/v1/overview', fx.as('alpha-regular'));
    expect((overview.body as { clusters: { name: string }[] }).clusters.map((c) => c.name)).toEqual(
      ['east', 'south', 'west'],
    );
  });

  it("shows only their own workspaces' namespaces in the inventory, and no nodes", async () => {
    const read = (who: Persona) => api('GET', '/api/v1/clusters/south/namespaces', fx.as(who));
    expect(names((await read('alpha-viewer')).body)).toEqual(['alpha-legacy']);
    const placed = await south.during(
      api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
        cluster: 'south',
        name: 'alpha-south',
      }),
    );
    expect(placed.status).toBe(201);
    expect(south.namespaces.get('alpha-south')?.labels).toEqual({
      'kubesphere.io/workspace': 'alpha',
    });
    expect((await read('beta-admin')).status).toBe(404);
    // A workspace-regular member lists no namespaces it was not invited to.
    expect(names((await read('alpha-regular')).body)).toEqual([]);
    expect((await api('GET', '/api/v1/clusters/south/nodes', fx.as('alpha-admin'))).status).toBe(
      403,
    );
  });
});

describe('revoking a cluster unplaces, never deletes', () => {
  it('removes the placements and their roles, leaves the namespace in the cluster, and says so', async () => {
    const member = await api(
      'POST',
      '/api/v1/workspaces/alpha/namespaces/alpha-south/members',
      fx.as('alpha-admin'),
      { user: 'regular', role: 'viewer' },
    );
    expect(member.status).toBe(201);
    const before = south.calls.length;
    const revoked = await south.during(ws('admin', 'PATCH', { clusters: ['east', 'west'] }));
    expect(revoked).toMatchObject({
      status: 200,
      body: {
        clusters: ['east', 'west'],
        unplaced: [{ cluster: 'south', namespace: 'alpha-south' }],
      },
    });
    expect(south.calls.slice(before)).toEqual([]);
    expect(south.namespaces.has('alpha-south')).toBe(true);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-south', fx.as('admin'))).status,
    ).toBe(404);
    expect((await api('GET', '/api/v1/me', fx.as('regular'))).body).toMatchObject({ bindings: [] });
    expect((await api('GET', '/api/v1/clusters/south', fx.as('alpha-regular'))).status).toBe(404);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
          cluster: 'south',
          name: 'alpha-south-2',
        })
      ).body,
    ).toMatchObject({ code: 'cluster_not_granted' });
    const audit = await api('GET', '/api/v1/audit?resource=workspaceclusters', fx.as('admin'));
    expect((audit.body as { items: unknown[] }).items).toContainEqual(
      expect.objectContaining({ user: 'admin', verb: 'delete', name: 'south', workspace: 'alpha' }),
    );
  });

  it('a re-granted workspace takes its own labelled namespace back without an admin', async () => {
    expect((await ws('admin', 'PATCH', { clusters: ['east', 'south', 'west'] })).status).toBe(200);
    const back = await south.during(
      api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
        cluster: 'south',
        name: 'alpha-south',
      }),
    );
    expect(back.status).toBe(201);
    expect(south.writes().at(-1)?.frame).toMatchObject({
      method: 'PATCH',
      path: '/api/v1/namespaces/alpha-south',
    });
  });
});
