import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DELIVERY_LABELS } from '../../protocol/delivery';
import {
  app,
  configMap,
  type DeliveryRig,
  deployment,
  lastStatus,
  managersOf,
  startRig,
  waitForState,
} from './delivery-fixtures';
import { waitFor } from './support';

let rig: DeliveryRig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

const applies = () =>
  rig.emu.requests.filter(
    (r) => r.method === 'PATCH' && r.query.includes('fieldManager=edgetower'),
  );

describe('delivery-apply', () => {
  it('applies with server-side apply as the editor, labelled, config and RBAC first', async () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'creds' },
      stringData: { pw: 'x' },
    };
    const service = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }] },
    };
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web' } };
    rig.controller.apply([
      app([deployment('web', 'nginx:1.27', 2), service, configMap('settings'), secret, sa]),
    ]);

    const ready = await waitForState(rig, 'ready');
    expect(ready.resources.map((r) => `${r.kind}/${r.name}:${r.ready}`)).toEqual([
      'Deployment/web:true',
      'Service/web:true',
      'ConfigMap/settings:true',
      'Secret/creds:true',
      'ServiceAccount/web:true',
    ]);
    // Order: ConfigMaps/Secrets/ServiceAccounts first, then the rest; every one as alice.
    expect(applies().map((r) => r.resource)).toEqual([
      'configmaps',
      'secrets',
      'serviceaccounts',
      'deployments',
      'services',
    ]);
    for (const r of applies()) {
      expect(r.impersonateUser).toBe('alice');
      expect(r.impersonateGroups).toEqual(['edgetower:acme:dev']);
      expect(r.query).toContain('force=true');
    }
    const stored = rig.emu.store.get('deployments', 'shop', 'web');
    expect(stored?.metadata.labels).toMatchObject({
      [DELIVERY_LABELS.managedBy]: 'edgetower',
      [DELIVERY_LABELS.appName]: 'web',
      [DELIVERY_LABELS.appId]: 'app-1',
      [DELIVERY_LABELS.generation]: '1',
      [DELIVERY_LABELS.workspace]: 'acme',
    });
    const managers = managersOf(stored);
    expect(managers).toContain('edgetower');
  });

  it('reports progressing until the workload is ready by its own status', async () => {
    rig.emu.workloads?.pause();
    rig.controller.apply([app([deployment('web', 'nginx:1.27', 3)])]);
    const progressing = await waitForState(rig, 'progressing');
    expect(progressing.resources[0]).toMatchObject({ kind: 'Deployment', ready: false });
    expect(lastStatus(rig)?.state).toBe('progressing');
    rig.emu.workloads?.resume();
    const ready = await waitForState(rig, 'ready');
    expect(ready.resources[0]?.ready).toBe(true);
  });

  it('reports failed when a workload reports ProgressDeadlineExceeded (broken image)', async () => {
    rig.controller.apply([app([deployment('web', 'registry.example/web:broken')])]);
    const failed = await waitForState(rig, 'failed');
    expect(failed.message).toContain('Deployment/web: ReplicaSet "web" has timed out progressing');
    expect(failed.resources[0]).toMatchObject({ kind: 'Deployment', ready: false });
  });

  it('reports failed when not ready within progressDeadlineSeconds', async () => {
    rig.emu.workloads?.pause();
    rig.controller.apply([app([deployment('web')], { progressDeadlineSeconds: 1 })]);
    await waitForState(rig, 'progressing');
    const failed = await waitForState(rig, 'failed', 1, 4000);
    expect(failed.message).toMatch(/not ready within 1 s/);
  });

  it('reports a 403 under impersonation as failed, and does not retry it', async () => {
    rig.controller.apply([app([deployment('web')], { identity: { user: 'mallory', groups: [] } })]);
    const failed = await waitForState(rig, 'failed');
    expect(failed.message).toMatch(/forbidden/);
    expect(failed.message).toContain('mallory');
    const attempts = applies().length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(applies().length).toBe(attempts);
    expect(rig.emu.store.get('deployments', 'shop', 'web')).toBeUndefined();
  });

  it('creates a missing namespace labelled for the workspace, as the editor with the placement group only', async () => {
    // As the agent's manifest: the placement group may get/create/patch/delete namespaces, nothing else.
    rig.emu.store.create('clusterroles', {
      metadata: { name: 'edgetower-namespace-placement' },
      rules: [
        { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch', 'delete'] },
      ],
    });
    rig.emu.store.create('clusterrolebindings', {
      metadata: { name: 'edgetower-namespace-placement' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'edgetower-namespace-placement',
      },
      subjects: [
        {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'Group',
          name: 'edgetower:namespace-placement',
        },
      ],
    });
    rig.controller.apply([app([configMap('c')], { namespace: 'fresh' })]);
    // Role projection binds alice there a moment after the namespace appears: the 403 meanwhile is retried.
    await waitFor(() => rig.emu.store.get('namespaces', undefined, 'fresh'), 5000);
    await new Promise((r) => setTimeout(r, 300));
    rig.emu.store.create('rolebindings', {
      metadata: { name: 'edgetower-edit-alice', namespace: 'fresh' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    await waitForState(rig, 'ready', 1, 10_000);
    const ns = rig.emu.store.get('namespaces', undefined, 'fresh') as {
      metadata: { labels?: Record<string, string> };
    };
    expect(ns.metadata.labels?.['kubesphere.io/workspace']).toBe('acme');
    const create = rig.emu.requests.find((r) => r.method === 'POST' && r.resource === 'namespaces');
    expect(create?.impersonateUser).toBe('alice');
    expect(create?.impersonateGroups).toEqual(['edgetower:namespace-placement']);
    expect(rig.emu.store.get('configmaps', 'fresh', 'c')).toBeDefined();
  });

  it('reports failed without the placement binding: the cluster RBAC has the last word', async () => {
    rig.controller.apply([app([configMap('c')], { namespace: 'nowhere' })]);
    const failed = await waitForState(rig, 'failed');
    expect(failed.message).toMatch(/forbidden/);
    expect(rig.emu.store.get('namespaces', undefined, 'nowhere')).toBeUndefined();
    expect(applies()).toHaveLength(0);
  });

  it('refuses a namespace labelled for another workspace, or for none, and applies nothing', async () => {
    rig.emu.store.create('namespaces', {
      metadata: { name: 'theirs', labels: { 'kubesphere.io/workspace': 'globex' } },
    });
    rig.controller.apply([app([configMap('c')], { namespace: 'theirs' })]);
    const failed = await waitForState(rig, 'failed');
    expect(failed.message).toContain('belongs to workspace globex');
    rig.emu.store.create('namespaces', { metadata: { name: 'bare' } });
    rig.controller.apply([app([configMap('c')], { namespace: 'bare', generation: 2 })]);
    const bare = await waitForState(rig, 'failed', 2);
    expect(bare.message).toContain('without a workspace label');
    expect(applies()).toHaveLength(0);
  });

  it('applies custom resources, resolving their kind by discovery', async () => {
    rig.emu.store.create('roles', {
      metadata: { name: 'crontabs', namespace: 'shop' },
      rules: [
        {
          apiGroups: ['stable.example.com'],
          resources: ['crontabs'],
          verbs: ['get', 'list', 'watch', 'create', 'patch', 'delete'],
        },
      ],
    });
    rig.emu.store.create('rolebindings', {
      metadata: { name: 'crontabs-alice', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'crontabs' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    const cronTab = {
      apiVersion: 'stable.example.com/v1',
      kind: 'CronTab',
      metadata: { name: 'nightly' },
      spec: { cronSpec: '0 3 * * *', image: 'backup:1' },
    };
    rig.controller.apply([app([cronTab])]);
    await waitForState(rig, 'ready');
    expect(
      rig.emu.store.get('crontabs', 'shop', 'nightly')?.metadata.labels?.[DELIVERY_LABELS.appId],
    ).toBe('app-1');
  });

  it('reports an unknown kind as failed', async () => {
    rig.controller.apply([
      app([{ apiVersion: 'nope.example.com/v1', kind: 'Gadget', metadata: { name: 'g' } }]),
    ]);
    const failed = await waitForState(rig, 'failed');
    expect(failed.message).toContain('Gadget (nope.example.com/v1) is not served');
  });

  it('prunes objects that left the manifests, and relabels the rest with the new generation', async () => {
    rig.controller.apply([app([deployment('web'), configMap('old'), configMap('kept')])]);
    await waitForState(rig, 'ready');
    rig.controller.apply([
      app([deployment('web'), configMap('kept', { a: '2' })], { generation: 2 }),
    ]);
    await waitForState(rig, 'ready', 2);
    await waitFor(() => rig.emu.store.get('configmaps', 'shop', 'old') === undefined, 3000);
    expect(rig.emu.store.get('configmaps', 'shop', 'kept')?.data).toEqual({ a: '2' });
    expect(
      rig.emu.store.get('deployments', 'shop', 'web')?.metadata.labels?.[
        DELIVERY_LABELS.generation
      ],
    ).toBe('2');
    const prune = rig.emu.requests.find(
      (r) => r.method === 'DELETE' && r.resource === 'configmaps',
    );
    expect(prune?.impersonateUser).toBe('alice');
  });
});
