import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../../db/client';
import { clusterByName } from '../../../db/queries/clusters';
import {
  groupMembers,
  groups,
  namespaces,
  roleBindings,
  workspaceClusters,
  workspaces,
} from '../../../db/schema';
import { forgetPrincipals } from '../../../functions/auth/principal-cache';
import type { InventorySnapshot } from '../../../functions/tunnel/inventory';
import { connectAgent, type TestAgent } from '../support/agent-socket';
import { bearer, login, seedUser } from '../support/auth';
import { api, type Fixture, fetchWorker, seedFixture } from '../support/fixture';
import { NamespaceCluster } from '../support/namespace-cluster';

/**
 * Issue #12, the edge side of tenancy: what a tenant tried against the
 * namespace placement route and the cluster identity, and what must hold.
 * Cluster `north` is new: no workspace but beta is granted it, and beta has
 * `team-b-api` placed there.
 */
let fx: Fixture;
let agent: TestAgent;
let north: NamespaceCluster;
let northId: string;
const db = () => createDb(env.DB);

const WS_LABEL = 'kubesphere.io/workspace';
const workloads = { deployments: 0, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 0 };
const inventoryNs = (name: string, workspace?: string) => ({
  name,
  phase: 'Active',
  workloads,
  ...(workspace ? { workspace } : {}),
});

async function grant(workspaceId: string, clusterId: string) {
  await db().insert(workspaceClusters).values({ workspaceId, clusterId }).onConflictDoNothing();
  forgetPrincipals();
}

const place = (who: Parameters<Fixture['as']>[0], ws: string, cluster: string, name: string) =>
  north.during(api('POST', `/api/v1/workspaces/${ws}/namespaces`, fx.as(who), { cluster, name }));

beforeAll(async () => {
  fx = await seedFixture();
  const created = await api('POST', '/api/v1/clusters', fx.as('admin'), { name: 'north' });
  expect(created.status).toBe(201);
  agent = await connectAgent((created.body as { joinToken: string }).joinToken, 'north-agent');
  const inventory: InventorySnapshot = {
    type: 'snapshot',
    seq: 1,
    cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/amd64' },
    nodes: [],
    namespaces: [
      inventoryNs('default'),
      inventoryNs('kube-system'),
      inventoryNs('edgetower-system'),
      inventoryNs('team-b-api', 'beta'),
      inventoryNs('team-d', 'beta'),
      inventoryNs('legacy'),
    ],
    events: [],
  };
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  north = new NamespaceCluster(agent);
  for (const name of ['default', 'kube-system', 'edgetower-system', 'legacy', 'team-d'])
    north.add(name);
  north.add('team-b-api', { [WS_LABEL]: 'beta' });
  north.add('team-c', { [WS_LABEL]: 'gamma' });

  northId = (await clusterByName(db(), 'north'))!.id;
  await grant(fx.ids.workspaces.beta, northId);
  await db().insert(namespaces).values({
    id: crypto.randomUUID(),
    name: 'team-b-api',
    workspaceId: fx.ids.workspaces.beta,
    clusterId: northId,
  });
});

describe('(tried) placing namespaces in a cluster the workspace was never granted', () => {
  it.each(['edgetower-system', 'team-b-api'])(
    'alpha-admin placing %s in north is refused like a cluster that does not exist, and nothing reaches the cluster',
    async (name) => {
      const before = north.calls.length;
      const attempt = await place('alpha-admin', 'alpha', 'north', name);
      const nowhere = await place('alpha-admin', 'alpha', 'no-such-cluster', 'anything');
      expect(attempt.status).toBeGreaterThanOrEqual(400);
      expect(attempt.status).toBeLessThan(500);
      expect(attempt.status).toBe(nowhere.status);
      expect((attempt.body as { code: string }).code).toBe((nowhere.body as { code: string }).code);
      expect(north.calls.slice(before)).toEqual([]);
      expect(north.namespaces.get('team-b-api')?.labels).toEqual({ [WS_LABEL]: 'beta' });
      const listed = await api('GET', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'));
      expect(JSON.stringify(listed.body)).not.toContain('north');
    },
  );
});

describe('never a takeover, even in a granted cluster', () => {
  beforeAll(async () => {
    await grant(fx.ids.workspaces.alpha, northId);
  });

  it.each([
    'default',
    'kube-system',
    'kube-anything',
    'kubeedge',
    'kubesphere-system',
    'kubesphere-monitoring-system',
    'edgetower',
    'edgetower-system',
  ])(
    '%s is reserved: 409 namespace_reserved, for a platform admin too, before any cluster call',
    async (name) => {
      const before = north.calls.length;
      for (const who of ['alpha-admin', 'admin'] as const) {
        const res = await place(who, 'alpha', 'north', name);
        expect(res.status, `${who} ${name}`).toBe(409);
        expect(res.body).toMatchObject({ code: 'namespace_reserved' });
      }
      expect(north.calls.slice(before)).toEqual([]);
    },
  );

  it("(tried) another workspace's namespace is never relabelled: placed at the edge, labelled in the inventory, or labelled in the cluster", async () => {
    for (const name of ['team-b-api', 'team-c', 'team-d']) {
      for (const who of ['alpha-admin', 'admin'] as const) {
        const res = await place(who, 'alpha', 'north', name);
        expect(res.status, `${who} ${name}`).toBe(409);
        expect(res.body).toMatchObject({ code: 'namespace_owned_by_other_workspace' });
      }
    }
    expect(north.writes()).toEqual([]);
    expect(north.namespaces.get('team-b-api')?.labels).toEqual({ [WS_LABEL]: 'beta' });
    expect(north.namespaces.get('team-c')?.labels).toEqual({ [WS_LABEL]: 'gamma' });
    expect(north.namespaces.get('team-d')?.labels).toEqual({});
  });

  it('an existing unlabelled namespace is adopted only by a platform or cluster admin', async () => {
    const refused = await place('alpha-admin', 'alpha', 'north', 'legacy');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ code: 'namespace_exists' });
    expect(north.writes()).toEqual([]);
    expect(north.namespaces.get('legacy')?.labels).toEqual({});

    const version = north.namespaces.get('legacy')!.resourceVersion;
    const adopted = await place('admin', 'alpha', 'north', 'legacy');
    expect(adopted.status).toBe(201);
    const [patch] = north.writes();
    expect(patch?.frame).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/legacy' });
    // Optimistic concurrency: a namespace changed since the edge read it is not adopted.
    expect(patch?.body).toEqual({
      metadata: { resourceVersion: version, labels: { [WS_LABEL]: 'alpha' } },
    });
    expect(north.namespaces.get('legacy')?.labels).toEqual({ [WS_LABEL]: 'alpha' });
  });

  it('(tried) cluster writes run as the caller with the namespace-placement group, never system:masters', async () => {
    const before = north.calls.length;
    const created = await place('alpha-admin', 'alpha', 'north', 'alpha-new');
    expect(created.status).toBe(201);
    const removed = await north.during(
      api(
        'DELETE',
        '/api/v1/workspaces/alpha/namespaces/alpha-new?cluster=north',
        fx.as('alpha-admin'),
      ),
    );
    expect(removed.status).toBe(204);
    const calls = north.calls.slice(before);
    expect(calls.map((c) => c.frame.method)).toEqual(['GET', 'POST', 'GET', 'DELETE']);
    for (const call of calls)
      expect(call.frame.impersonate).toEqual({
        user: 'alpha-admin',
        groups: ['edgetower:namespace-placement'],
      });
    expect(north.namespaces.has('alpha-new')).toBe(false);
  });
});

describe('unplacing never deletes what the workspace does not own in the cluster', () => {
  it.each([
    ['team-e', { [WS_LABEL]: 'beta' }],
    ['prod-db', {}],
  ] as const)(
    'a placement of %s recorded while the cluster was pending is removed, the namespace is not',
    async (name, labels) => {
      // As if placed while the agent was not installed yet: the edge could not look then.
      await db().insert(namespaces).values({
        id: crypto.randomUUID(),
        name,
        workspaceId: fx.ids.workspaces.alpha,
        clusterId: northId,
      });
      north.add(name, labels);
      const before = north.calls.length;
      const removed = await north.during(
        api(
          'DELETE',
          `/api/v1/workspaces/alpha/namespaces/${name}?cluster=north`,
          fx.as('alpha-admin'),
        ),
      );
      expect(removed.status).toBe(204);
      expect(north.calls.slice(before).map((c) => c.frame.method)).not.toContain('DELETE');
      expect(north.namespaces.get(name)?.labels).toEqual(labels);
    },
  );
});

describe('(tried) tenant-made names never become groups a cluster trusts', () => {
  it.each(['kubeadm', 'system-x', 'systemd', 'kube-admins', 'edgetower-ops'])(
    'workspace %s is reserved (400 name_reserved)',
    async (name) => {
      const res = await api('POST', '/api/v1/workspaces', fx.as('ws-mgr'), { name });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'name_reserved' });
      expect((await api('GET', `/api/v1/workspaces/${name}`, fx.as('admin'))).status).toBe(404);
    },
  );

  it.each(['system-masters', 'kubeadm', 'edgetower'])(
    'group %s is reserved (400 name_reserved)',
    async (name) => {
      const res = await api('POST', '/api/v1/workspaces/alpha/groups', fx.as('alpha-admin'), {
        name,
      });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'name_reserved' });
    },
  );

  it('a workspace kubeadm made before the rule: its group cluster-admins is impersonated as edgetower:kubeadm:cluster-admins', async () => {
    const wsId = crypto.randomUUID();
    const groupId = crypto.randomUUID();
    await db().insert(workspaces).values({ id: wsId, name: 'kubeadm', createdBy: 'ws-mgr' });
    await db().insert(groups).values({ id: groupId, workspaceId: wsId, name: 'cluster-admins' });
    const user = await seedUser({ name: 'kubeadm-member' });
    await db().insert(groupMembers).values({ groupId, userId: user.id });
    await db().insert(roleBindings).values({
      scopeType: 'workspace',
      scopeId: wsId,
      subjectType: 'group',
      subjectId: groupId,
      role: 'workspace-viewer',
    });
    await grant(wsId, northId);
    // Current edges found clusters through placements: give it one so the proxy is reached either way.
    await db().insert(namespaces).values({
      id: crypto.randomUUID(),
      name: 'kubeadm-ns',
      workspaceId: wsId,
      clusterId: northId,
    });
    const headers = bearer(await login('kubeadm-member', user.password));
    const me = await api('GET', '/api/v1/me', headers);
    expect(me.body).toMatchObject({ groups: ['edgetower:kubeadm:cluster-admins'] });

    const pending = fetchWorker('/clusters/north/k8s/api/v1/namespaces/kubeadm-ns/pods', {
      headers,
    });
    const request = await agent.nextOf('request');
    await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await agent.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(200);
    expect(request.impersonate).toEqual({
      user: 'kubeadm-member',
      groups: ['edgetower:kubeadm:cluster-admins'],
    });
  });
});

describe('the kube proxy adds the admin group only for platform admins and that cluster’s admins', () => {
  async function impersonated(headers: Record<string, string>) {
    const pending = fetchWorker('/clusters/north/k8s/api/v1/namespaces', { headers });
    const request = await agent.nextOf('request');
    await agent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await agent.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(200);
    return request.impersonate;
  }

  it('admin and north cluster-admins get system:masters; an east cluster-admin who is an alpha admin does not', async () => {
    const northAdmin = await seedUser({ name: 'north-admin' });
    const eastAndAlpha = await seedUser({ name: 'east-alpha' });
    await db()
      .insert(roleBindings)
      .values([
        {
          scopeType: 'cluster',
          scopeId: northId,
          subjectType: 'user',
          subjectId: northAdmin.id,
          role: 'cluster-admin',
        },
        {
          scopeType: 'cluster',
          scopeId: fx.ids.clusters.east,
          subjectType: 'user',
          subjectId: eastAndAlpha.id,
          role: 'cluster-admin',
        },
        {
          scopeType: 'workspace',
          scopeId: fx.ids.workspaces.alpha,
          subjectType: 'user',
          subjectId: eastAndAlpha.id,
          role: 'workspace-admin',
        },
      ]);
    forgetPrincipals();
    expect((await impersonated(fx.as('admin')))?.groups).toContain('system:masters');
    expect(
      (await impersonated(bearer(await login('north-admin', northAdmin.password))))?.groups,
    ).toContain('system:masters');
    expect(await impersonated(bearer(await login('east-alpha', eastAndAlpha.password)))).toEqual({
      user: 'east-alpha',
      groups: [],
    });
    expect(await impersonated(fx.as('alpha-dev'))).toEqual({
      user: 'alpha-dev',
      groups: ['edgetower:alpha:devs'],
    });
  });
});
