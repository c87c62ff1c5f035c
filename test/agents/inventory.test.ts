import { afterEach, describe, expect, it } from 'vitest';
import { createSequence } from '../../agents/inventory';
import { type InventoryPipeline, startInventoryPipeline } from '../../agents/inventory-pipeline';
import { silentLogger } from '../../agents/log';
import type { InventoryDelta, InventorySnapshot, InventoryUpdate } from '../../protocol/inventory';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

let emu: KubeEmulator;
let pipeline: InventoryPipeline | undefined;
afterEach(async () => {
  await pipeline?.stop();
  pipeline = undefined;
  await emu?.close();
});

async function start(sent: InventoryUpdate[]) {
  emu = await startKubeEmulator({
    cluster: {
      nodes: 5,
      edgeNodes: 2,
      notReadyNodes: 1,
      namespaces: 3,
      workspaces: 2,
      pods: 40,
      warningEvents: 3,
      normalEvents: 2,
    },
  });
  const { client } = await clientFor(emu);
  // A long flush period: the test calls tick() itself to see exactly what is coalesced.
  pipeline = startInventoryPipeline({
    client,
    log: silentLogger,
    send: (u) => sent.push(u),
    sequence: createSequence(),
    flushIntervalMs: 3_600_000,
  });
  pipeline.setCluster({ kubernetesVersion: 'v1.30.2', platform: 'linux/amd64' });
  await pipeline.waitForSync();
  await waitFor(() => emu.watchCount() === 9);
  return pipeline;
}

function expectedCounts(namespace: string) {
  const count = (plural: string) => emu.store.list(plural, namespace).length;
  return {
    deployments: count('deployments'),
    statefulsets: count('statefulsets'),
    daemonsets: count('daemonsets'),
    jobs: count('jobs'),
    cronjobs: count('cronjobs'),
    pods: count('pods'),
  };
}

describe('inventory', () => {
  it('sends a snapshot of nodes, namespaces with workspaces and workload counts, and Warning events', async () => {
    const sent: InventoryUpdate[] = [];
    const p = await start(sent);
    p.tracker.setActive(true);
    const snapshot = sent[0] as InventorySnapshot;
    expect(snapshot).toMatchObject({
      type: 'snapshot',
      seq: 1,
      cluster: { kubernetesVersion: 'v1.30.2', platform: 'linux/amd64' },
    });
    expect(snapshot.nodes).toHaveLength(5);
    expect(snapshot.nodes.filter((n) => n.edge).map((n) => n.name)).toEqual([
      'node-00003',
      'node-00004',
    ]);
    expect(snapshot.nodes.filter((n) => !n.ready).map((n) => n.name)).toEqual(['node-00001']);
    const byName = new Map(snapshot.namespaces.map((ns) => [ns.name, ns]));
    expect([...byName.keys()].sort()).toEqual([
      'default',
      'kube-system',
      'ns-0000',
      'ns-0001',
      'ns-0002',
    ]);
    expect(byName.get('ns-0000')?.workspace).toBe('ws-0');
    expect(byName.get('ns-0001')?.workspace).toBe('ws-1');
    expect(byName.get('default')?.workspace).toBeUndefined();
    for (const ns of snapshot.namespaces) expect(ns.workloads).toEqual(expectedCounts(ns.name));
    expect(snapshot.namespaces.reduce((sum, ns) => sum + ns.workloads.pods, 0)).toBe(40);
    expect(snapshot.events).toHaveLength(3);
    expect(snapshot.events.every((e) => e.reason === 'BackOff')).toBe(true);
    // The events informer asks the server for Warnings only.
    const eventWatch = emu.requests.find((r) => r.path === '/api/v1/events');
    expect(new URLSearchParams(eventWatch?.query).get('fieldSelector')).toBe('type=Warning');
  });

  it('coalesces changes into one delta with the next sequence number, and skips no-op updates', async () => {
    const sent: InventoryUpdate[] = [];
    const p = await start(sent);
    p.tracker.setActive(true);
    expect(p.tracker.tick()).toBeUndefined(); // nothing changed since the snapshot

    emu.store.create('pods', {
      metadata: { name: 'p1', namespace: 'ns-0000' },
      spec: { containers: [] },
      status: { phase: 'Pending' },
    });
    emu.store.create('pods', {
      metadata: { name: 'p2', namespace: 'ns-0000' },
      spec: { containers: [] },
      status: { phase: 'Pending' },
    });
    emu.store.patch('nodes', undefined, 'node-00002', (n) => {
      (n.metadata.labels as Record<string, string>)['node-role.kubernetes.io/edge'] = '';
    });
    emu.store.patch('nodes', undefined, 'node-00000', (n) => {
      // heartbeat-only change: the projection is the same, so nothing goes up
      (n.metadata.annotations as Record<string, string>).heartbeat = 'x';
    });
    emu.store.delete('namespaces', undefined, 'ns-0002');
    await waitFor(
      () => !p.informers.some((i) => i.items.has('ns-0002')) && p.pods.items.has('ns-0000/p2'),
    );
    await waitFor(
      () =>
        p.informers[0]?.items && (p.informers[0].items.get('node-00002') as { edge: boolean }).edge,
    );

    const delta = p.tracker.tick() as InventoryDelta;
    expect(delta).toMatchObject({ type: 'delta', seq: 2 });
    expect(delta.nodes?.upserts.map((n) => [n.name, n.edge])).toEqual([['node-00002', true]]);
    expect(delta.nodes?.deletes).toEqual([]);
    expect(delta.namespaces?.deletes).toEqual(['ns-0002']);
    const ns0 = delta.namespaces?.upserts.find((ns) => ns.name === 'ns-0000');
    expect(ns0?.workloads).toEqual(expectedCounts('ns-0000'));
    expect(sent.map((u) => [u.type, u.seq])).toEqual([
      ['snapshot', 1],
      ['delta', 2],
    ]);

    emu.store.create('events', {
      metadata: { name: 'warn-new', namespace: 'ns-0000' },
      type: 'Warning',
      reason: 'FailedScheduling',
      message: '0/5 nodes are available',
      involvedObject: { kind: 'Pod', name: 'p1', namespace: 'ns-0000' },
      count: 1,
    });
    emu.store.create('events', {
      metadata: { name: 'normal-new', namespace: 'ns-0000' },
      type: 'Normal',
      reason: 'Pulled',
      involvedObject: { kind: 'Pod', name: 'p1' },
    });
    await waitFor(() => p.informers.some((i) => i.items.has('ns-0000/warn-new')));
    const events = p.tracker.tick() as InventoryDelta;
    expect(events.seq).toBe(3);
    expect(events.events?.upserts.map((e) => [e.key, e.reason])).toEqual([
      ['ns-0000/warn-new', 'FailedScheduling'],
    ]);
  });

  it('sends a fresh snapshot when asked (reconnect) and nothing while inactive', async () => {
    const sent: InventoryUpdate[] = [];
    const p = await start(sent);
    p.tracker.setActive(true);
    p.tracker.requestSnapshot();
    expect(sent.map((u) => [u.type, u.seq])).toEqual([
      ['snapshot', 1],
      ['snapshot', 2],
    ]);
    p.tracker.setActive(false);
    emu.store.delete('nodes', undefined, 'node-00004');
    await waitFor(() => !p.informers[0]?.items.has('node-00004'));
    expect(p.tracker.tick()).toBeUndefined();
    p.tracker.setActive(true); // leadership regained: a snapshot, not a delta
    expect(sent.at(-1)).toMatchObject({ type: 'snapshot', seq: 3 });
    expect((sent.at(-1) as InventorySnapshot).nodes).toHaveLength(4);
  });
});
