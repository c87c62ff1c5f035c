import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../protocol/delivery';
import type { TestAgent } from './support/agent-socket';
import {
  appId,
  grantedCluster,
  leader,
  nextApply,
  nextDelete,
  readyStatus,
  sends,
} from './support/delivery';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
let north: { id: string; joinToken: string };
let south: { id: string; joinToken: string };

const manifests = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: 'nginx:1.27' },
            { name: 'side', image: 'busybox' },
          ],
        },
      },
    },
  },
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { a: '1' } },
];

const create = (name: string, over: Record<string, unknown> = {}) =>
  api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
    name,
    namespace: 'alpha-apps',
    manifests,
    placement: { clusterSelector: { matchLabels: { fleet: 'blue' } } },
    ...over,
  });

const podSpec = (objects: KubeObject[]) =>
  (
    objects.find((o) => o.kind === 'Deployment') as unknown as {
      spec: {
        replicas: number;
        template: {
          spec: Record<string, unknown> & { containers: { name: string; image: string }[] };
        };
      };
    }
  ).spec;

const statusOf = async (name: string) =>
  (await api('GET', `/api/v1/workspaces/alpha/apps/${name}`, fx.as('alpha-admin'))).body as {
    generation: number;
    status: {
      phase: string;
      clusters: {
        cluster: string;
        state: string;
        connection: string | null;
        observedGeneration: number;
      }[];
    };
  };

beforeAll(async () => {
  fx = await seedFixture();
  north = await grantedCluster(fx, 'north', { fleet: 'blue', zone: 'n' });
  south = await grantedCluster(fx, 'south', { fleet: 'blue', zone: 's' });
});

describe('delivery through the tunnel', () => {
  let northAgent: TestAgent;
  let southAgent: TestAgent;

  it('sends each cluster its rendering: node placement and overrides in order', async () => {
    const created = await create('shop', {
      nodes: 'edge',
      overrides: [
        {
          clusterSelector: { matchLabels: { zone: 's' } },
          replicas: 3,
          images: { web: 'nginx:1.28' },
        },
        {
          clusters: ['south'],
          patches: [
            {
              op: 'add',
              path: '/metadata/labels',
              value: { tier: 'edge' },
              kind: 'ConfigMap',
              name: 'conf',
            },
            { op: 'replace', path: '/spec/replicas', value: 5, kind: 'Deployment', name: 'web' },
          ],
        },
      ],
    });
    expect(created.status).toBe(201);
    northAgent = await leader(north.joinToken);
    southAgent = await leader(south.joinToken);
    const [n, s] = [await nextApply(northAgent), await nextApply(southAgent)];
    expect(n.apps).toHaveLength(1);
    const nApp = n.apps[0]!;
    expect(nApp).toMatchObject({
      name: 'shop',
      workspace: 'alpha',
      namespace: 'alpha-apps',
      generation: 1,
      identity: { user: 'alpha-admin' },
    });
    const nSpec = podSpec(nApp.manifests);
    expect(nSpec.replicas).toBe(1);
    expect(nSpec.template.spec.nodeSelector).toEqual({ 'node-role.kubernetes.io/edge': '' });
    expect(nSpec.template.spec.tolerations).toEqual([
      { key: 'node-role.kubernetes.io/edge', operator: 'Exists', effect: 'NoSchedule' },
    ]);
    const sSpec = podSpec(s.apps[0]!.manifests);
    expect(sSpec.replicas).toBe(5); // the later override wins
    expect(sSpec.template.spec.containers).toEqual([
      { name: 'web', image: 'nginx:1.28' },
      { name: 'side', image: 'busybox' },
    ]);
    expect(s.apps[0]!.manifests.find((o) => o.kind === 'ConfigMap')?.metadata).toMatchObject({
      labels: { tier: 'edge' },
    });
    expect(nApp.manifests.find((o) => o.kind === 'ConfigMap')?.metadata).not.toHaveProperty(
      'labels',
    );
  });

  it('keeps pods off edge nodes with nodes: cloud', async () => {
    const res = await api('PUT', '/api/v1/workspaces/alpha/apps/shop', fx.as('alpha-admin'), {
      namespace: 'alpha-apps',
      manifests,
      placement: { clusters: ['north'] },
      nodes: 'cloud',
    });
    expect(res.status).toBe(200);
    const frame = await nextApply(northAgent, 1000); // within a second of the edit
    expect(frame.apps[0]?.generation).toBe(2);
    expect(podSpec(frame.apps[0]!.manifests).template.spec.affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            {
              matchExpressions: [{ key: 'node-role.kubernetes.io/edge', operator: 'DoesNotExist' }],
            },
          ],
        },
      },
    });
    // South left the placement: it owes a delete, and confirms it.
    const deleted = await nextDelete(southAgent);
    expect(deleted.apps.map((a) => a.appId)).toEqual([await appId('shop')]);
    await southAgent.send(readyStatus(await appId('shop'), 1, 'deleted'));
    await expect
      .poll(async () => (await statusOf('shop')).status.clusters.map((c) => c.cluster))
      .toEqual(['north']);
  });

  it('takes status from the leader, with its connection, and turns unreachable when it goes', async () => {
    const id = await appId('shop');
    await northAgent.send(readyStatus(id, 2));
    const ready = await statusOf('shop');
    expect(ready.status.phase).toBe('Ready');
    expect(ready.status.clusters[0]).toMatchObject({
      cluster: 'north',
      state: 'ready',
      observedGeneration: 2,
    });
    expect(ready.status.clusters[0]?.connection).toBeTruthy();
    northAgent.ws.close(1000, 'bye');
    await expect
      .poll(async () => (await statusOf('shop')).status.clusters[0]?.state)
      .toBe('unreachable');
    expect((await statusOf('shop')).status.phase).toBe('Degraded');
  });

  it('catches a returning cluster up with only what changed since it last acknowledged', async () => {
    const created = await create('other', { placement: { clusters: ['north'] } });
    expect(created.status).toBe(201);
    const shop = await appId('shop');
    const other = await appId('other');
    // North holds shop at generation 2 already: only "other" is sent.
    northAgent = await leader(north.joinToken, [{ appId: shop, generation: 2 }]);
    const frame = await nextApply(northAgent);
    expect(frame.apps.map((a) => a.appId)).toEqual([other]);
    expect(await sends(northAgent, 'delivery-apply')).toBe(false);
    // The entry it reported through the old connection reads reachable again through the new one.
    expect((await statusOf('shop')).status.clusters[0]?.state).not.toBe('unreachable');
  });

  it('deletes everywhere: Deleting until every cluster confirms, then 404', async () => {
    const id = await appId('other');
    const res = await api('DELETE', '/api/v1/workspaces/alpha/apps/other', fx.as('alpha-admin'));
    expect(res.status).toBe(202);
    expect((res.body as { status: { phase: string } }).status.phase).toBe('Deleting');
    const frame = await nextDelete(northAgent);
    expect(frame.apps).toEqual([
      { appId: id, namespace: 'alpha-apps', identity: { user: 'alpha-admin', groups: [] } },
    ]);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/apps/other', fx.as('alpha-admin'))).status,
    ).toBe(200);
    await northAgent.send(readyStatus(id, 1, 'deleted'));
    await expect
      .poll(
        async () =>
          (await api('GET', '/api/v1/workspaces/alpha/apps/other', fx.as('alpha-admin'))).status,
      )
      .toBe(404);
  });

  it('keeps a tombstone for an unreachable cluster until forced, naming who may keep objects', async () => {
    northAgent.ws.close(1000, 'bye');
    await expect
      .poll(async () => (await statusOf('shop')).status.clusters[0]?.state)
      .toBe('unreachable');
    const res = await api('DELETE', '/api/v1/workspaces/alpha/apps/shop', fx.as('alpha-admin'));
    expect(res.status).toBe(202);
    expect((await statusOf('shop')).status).toMatchObject({
      phase: 'Deleting',
      clusters: [{ cluster: 'north', state: 'deleting' }],
    });
    const forced = await api(
      'DELETE',
      '/api/v1/workspaces/alpha/apps/shop?force=true',
      fx.as('alpha-admin'),
    );
    expect(forced.status).toBe(200);
    expect((forced.body as { status: { mayKeepObjects: string[] } }).status.mayKeepObjects).toEqual(
      ['north'],
    );
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/apps/shop', fx.as('alpha-admin'))).status,
    ).toBe(404);
  });

  it('drops a tombstone past deleteTimeoutSeconds', async () => {
    const created = await create('brief', {
      placement: { clusters: ['south'] },
      deleteTimeoutSeconds: 0,
    });
    expect(created.status).toBe(201);
    southAgent.ws.close(1000, 'bye');
    await expect
      .poll(async () => (await statusOf('brief')).status.clusters[0]?.state)
      .toBe('unreachable');
    expect(
      (await api('DELETE', '/api/v1/workspaces/alpha/apps/brief', fx.as('alpha-admin'))).status,
    ).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/apps/brief', fx.as('alpha-admin'))).status,
    ).toBe(404);
  });

  it('sends a cluster whose grant was revoked only the deletion of what it holds', async () => {
    const created = await create('revoked', { placement: { clusters: ['south'] } });
    expect(created.status).toBe(201);
    const id = await appId('revoked');
    southAgent = await leader(south.joinToken);
    expect((await nextApply(southAgent)).apps[0]?.appId).toBe(id);
    await env.DB.prepare('DELETE FROM workspace_clusters WHERE cluster_id = ?')
      .bind(south.id)
      .run();
    southAgent.ws.close(1000, 'bye');
    southAgent = await leader(south.joinToken, [{ appId: id, generation: 1 }]);
    expect((await nextDelete(southAgent)).apps.map((a) => a.appId)).toEqual([id]);
    expect(await sends(southAgent, 'delivery-apply')).toBe(false);
    expect((await statusOf('revoked')).status.clusters[0]?.state).toBe('deleting');
  });
});
