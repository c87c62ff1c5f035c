import { afterEach, describe, expect, it } from 'vitest';
import { Informer } from '../../agents/informers';
import { StringPool } from '../../agents/intern';
import type { KubeClient } from '../../agents/kube';
import { silentLogger } from '../../agents/log';
import { type PodRecord, projectNode, projectPod } from '../../agents/projections';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

let emu: KubeEmulator;
let informer: Informer<PodRecord> | undefined;
afterEach(async () => {
  await informer?.stop();
  informer = undefined;
  await emu?.close();
});

function podInformer(
  client: KubeClient,
  extra: { pageSize?: number; stallTimeoutMs?: number } = {},
) {
  const pool = new StringPool();
  return new Informer<PodRecord>({
    name: 'pods',
    client,
    path: '/api/v1/pods',
    project: (raw) => projectPod(raw, pool),
    log: silentLogger,
    ...extra,
  });
}

const podListRequests = () =>
  emu.requests.filter((r) => r.path === '/api/v1/pods' && !r.query.includes('watch='));

describe('projected informers', () => {
  it('lists page by page and keeps only the projected pod fields', async () => {
    emu = await startKubeEmulator({ cluster: { nodes: 3, namespaces: 2, pods: 35 } });
    const { client } = await clientFor(emu);
    informer = podInformer(client, { pageSize: 10 });
    informer.start();
    await informer.waitForSync();
    expect(informer.items.size).toBe(35);
    expect(podListRequests().map((r) => new URLSearchParams(r.query).get('limit'))).toEqual([
      '10',
      '10',
      '10',
      '10',
    ]);
    const raw = emu.store
      .list('pods')
      .find((p) => p.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet');
    if (!raw) throw new Error('no replicaset pod');
    const record = informer.items.get(`${raw.metadata.namespace}/${raw.metadata.name}`);
    expect(Object.keys(record ?? {}).sort()).toEqual([
      'cpuMillis',
      'memoryBytes',
      'name',
      'namespace',
      'node',
      'ownerKind',
      'ownerName',
      'phase',
      'pvcClaims',
      'startedAt',
    ]);
    const spec = raw.spec as {
      nodeName: string;
      containers: { resources: { requests: { cpu: string } } }[];
    };
    expect(record).toMatchObject({
      namespace: raw.metadata.namespace,
      node: spec.nodeName,
      phase: 'Running',
      ownerKind: 'ReplicaSet',
      ownerName: raw.metadata.ownerReferences?.[0]?.name,
    });
    // main container (50m..400m) + sidecar 10m
    expect(record?.cpuMillis).toBe(
      Number.parseInt(spec.containers[0]?.resources.requests.cpu ?? '', 10) + 10,
    );
    expect(record?.memoryBytes).toBeGreaterThan(32 * 2 ** 20);
  });

  it('projects nodes into summaries with edge, roles, readiness and quantities', async () => {
    emu = await startKubeEmulator({
      cluster: { nodes: 4, edgeNodes: 1, notReadyNodes: 1, pods: 0 },
    });
    const pool = new StringPool();
    const summaries = emu.store.list('nodes').map((n) => projectNode(n, pool));
    expect(summaries.map((s) => [s?.name, s?.ready, s?.edge, s?.roles])).toEqual([
      ['node-00000', true, false, ['control-plane']],
      ['node-00001', false, false, ['worker']],
      ['node-00002', true, false, ['worker']],
      ['node-00003', true, true, ['edge']],
    ]);
    expect(summaries[3]).toMatchObject({
      kubeletVersion: 'v1.30.2',
      capacity: { cpu: '4', memory: '8148212Ki', pods: '110' },
      allocatable: { cpu: '3900m', pods: '110' },
      addresses: [
        { type: 'InternalIP', address: '10.0.0.3' },
        { type: 'Hostname', address: 'node-00003' },
      ],
      unschedulable: false,
      lastTransition: '2026-01-01T00:00:00Z',
    });
    expect(JSON.stringify(summaries[3])).not.toContain('images');
  });

  it('follows watch events: adds, updates and deletes', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 4 } });
    const { client } = await clientFor(emu);
    informer = podInformer(client);
    const seen: string[] = [];
    informer.on((e) => seen.push(`${e.type} ${e.key}`));
    informer.start();
    await informer.waitForSync();
    await waitFor(() => emu.watchCount('pods') === 1);
    emu.store.create('pods', {
      metadata: { name: 'extra', namespace: 'default' },
      spec: { nodeName: 'node-00001', containers: [] },
      status: { phase: 'Pending' },
    });
    emu.store.patch('pods', 'default', 'extra', (p) => {
      p.status = { phase: 'Running' };
    });
    await waitFor(() => informer?.items.get('default/extra')?.phase === 'Running');
    emu.store.delete('pods', 'default', 'extra');
    await waitFor(() => !informer?.items.has('default/extra'));
    expect(seen.slice(-3)).toEqual([
      'upsert default/extra',
      'upsert default/extra',
      'delete default/extra',
    ]);
    expect(informer.resourceVersion).toBe(String(emu.store.resourceVersion));
  });

  it('advances its resourceVersion from bookmarks without object events', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 2 }, bookmarkIntervalMs: 30 });
    const { client } = await clientFor(emu);
    informer = podInformer(client);
    informer.start();
    await informer.waitForSync();
    emu.store.create('configmaps', { metadata: { name: 'unrelated', namespace: 'default' } });
    const rv = String(emu.store.resourceVersion);
    await waitFor(() => informer?.resourceVersion === rv);
    const watchRequests = emu.requests.filter(
      (r) => r.path === '/api/v1/pods' && r.query.includes('watch=1'),
    );
    expect(new URLSearchParams(watchRequests[0]?.query).get('allowWatchBookmarks')).toBe('true');
  });

  it('relists on 410 Gone and converges, deleting what vanished meanwhile', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 6 }, eventWindow: 3 });
    const { client } = await clientFor(emu);
    informer = podInformer(client);
    const deletes: string[] = [];
    informer.on((e) => {
      if (e.type === 'delete') deletes.push(e.key);
    });
    informer.start();
    await informer.waitForSync();
    await waitFor(() => emu.watchCount('pods') === 1);
    emu.stallWatches('pods'); // the informer misses what follows
    const victim = emu.store.list('pods')[0];
    if (!victim) throw new Error('no pod');
    emu.store.delete('pods', victim.metadata.namespace, victim.metadata.name);
    for (let i = 0; i < 5; i++)
      emu.store.create('pods', {
        metadata: { name: `new-${i}`, namespace: 'default' },
        spec: { containers: [] },
        status: { phase: 'Pending' },
      });
    emu.dropWatches('pods'); // reconnecting from the old resourceVersion now gets 410
    await waitFor(() => informer?.stats.relists === 1 && informer.items.size === 10);
    expect(deletes).toEqual([`${victim.metadata.namespace}/${victim.metadata.name}`]);
    expect(podListRequests()).toHaveLength(2);
  });

  it('restarts a full list when a continue token expires mid-list', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 25 } });
    const { client } = await clientFor(emu);
    let expired = false;
    const flaky: KubeClient = {
      ...client,
      request: (req) => {
        if (req.query?.continue && !expired) {
          expired = true;
          emu.expireContinueTokens();
        }
        return client.request(req);
      },
    };
    informer = podInformer(flaky, { pageSize: 10 });
    informer.start();
    await informer.waitForSync();
    expect(informer.items.size).toBe(25);
    expect(informer.stats.relists).toBe(1);
    expect(informer.stats.lists).toBe(2);
  });

  it('restarts a silent watch (watchdog) and catches up on what it missed', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 3 } });
    const { client } = await clientFor(emu);
    informer = podInformer(client, { stallTimeoutMs: 300 });
    informer.start();
    await informer.waitForSync();
    await waitFor(() => emu.watchCount('pods') === 1);
    expect(emu.stallWatches('pods')).toBe(1);
    emu.store.create('pods', {
      metadata: { name: 'while-stalled', namespace: 'default' },
      spec: { containers: [] },
      status: { phase: 'Running' },
    });
    await waitFor(() => informer?.items.has('default/while-stalled'), 5000);
    expect(informer.stats.watchdogRestarts).toBeGreaterThanOrEqual(1);
    expect(informer.stats.lists).toBe(1); // resumed from its resourceVersion, no relist needed
  });

  it('survives the API server going away and coming back, then catches up', async () => {
    emu = await startKubeEmulator({ cluster: { pods: 5 } });
    const { client } = await clientFor(emu);
    informer = podInformer(client);
    informer.start();
    await informer.waitForSync();
    const { store } = emu;
    const port = Number(new URL(emu.url).port);
    await emu.close(); // the API server is gone: watches break, reconnects fail
    store.create('pods', {
      metadata: { name: 'while-down', namespace: 'default' },
      spec: { containers: [] },
      status: { phase: 'Running' },
    });
    await waitFor(() => (informer?.stats.errors ?? 0) >= 1);
    emu = await startKubeEmulator({ port, store, token: emu.token });
    await waitFor(() => informer?.items.has('default/while-down'), 15_000);
    expect(informer.items.size).toBe(6);
  });
});
