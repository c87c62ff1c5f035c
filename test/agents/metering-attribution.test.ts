import { afterEach, describe, expect, it } from 'vitest';
import { type InventoryPipeline, startInventoryPipeline } from '../../agents/inventory-pipeline';
import { silentLogger } from '../../agents/log';
import { type MeteringRunner, startMetering } from '../../agents/metering/metering-runner';
import { metricsApiUsage } from '../../agents/metering/metrics-api-usage';
import type { MeteringPayload } from '../../protocol/metering-samples';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { NAMESPACE, podObject, seedOwnedPods, WORKSPACE } from './metering-fixtures';
import { clientFor, waitFor } from './support';

let emu: KubeEmulator;
let pipeline: InventoryPipeline | undefined;
let metering: MeteringRunner | undefined;
afterEach(async () => {
  await metering?.stop();
  await pipeline?.stop();
  await emu?.close();
});

const GiB = 2 ** 30;
const T0 = Date.UTC(2026, 11, 1, 10) / 1000;

async function meter(options: { charging?: 'max' | 'usage'; maxPodsPerBatch?: number } = {}) {
  const { client } = await clientFor(emu);
  pipeline = startInventoryPipeline({
    client,
    log: silentLogger,
    send: () => {},
    sequence: { next: () => 1, current: () => 1 },
  });
  const batches: MeteringPayload[] = [];
  let clock = T0 * 1000;
  metering = startMetering({
    client,
    pipeline,
    intervalSeconds: 60,
    charging: options.charging ?? 'max',
    spool: { unacknowledged: () => [], read: async () => undefined },
    submit: async (payload) => batches.push(payload),
    log: silentLogger,
    autoStart: false,
    now: () => clock,
    maxPodsPerBatch: options.maxPodsPerBatch,
  });
  await metering.ready();
  return {
    batches,
    setClock: (seconds: number) => {
      clock = seconds * 1000;
    },
  };
}

describe('metering attribution', () => {
  it('bills each pod to its workload: Deployment via ReplicaSet, CronJob via Job, the rest directly', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    const { batches, setClock } = await meter();
    await metering?.sampler.begin(T0);
    setClock(T0 + 60.2);
    await metering?.sampler.tick(T0 + 60);
    expect(batches).toHaveLength(1);
    const byPod = Object.fromEntries(
      (batches[0]?.pods ?? []).map((p) => [p.pod, [p.workloadKind, p.workload, p.workspace]]),
    );
    expect(byPod).toEqual({
      'web-7d9f-a': ['Deployment', 'web', WORKSPACE],
      'orphan-rs-b': ['ReplicaSet', 'orphan-rs', WORKSPACE],
      'db-0': ['StatefulSet', 'db', WORKSPACE],
      'agent-x': ['DaemonSet', 'agent', WORKSPACE],
      'migrate-c': ['Job', 'migrate', WORKSPACE],
      'nightly-2900-d': ['CronJob', 'nightly', WORKSPACE],
      debug: ['Pod', 'debug', WORKSPACE],
      'etcd-node-1': ['Pod', 'etcd-node-1', WORKSPACE], // a static pod: its owner is the Node
      lonely: ['Pod', 'lonely', undefined], // namespace in no workspace
      // "waiting" is Pending: not running, not billed
    });
    const db = batches[0]?.pods.find((p) => p.pod === 'db-0');
    expect(db).toMatchObject({ namespace: NAMESPACE, node: 'node-1', pvcByteSeconds: 600 * GiB });
  });

  it('meters usage from metrics.k8s.io against requests', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    emu.store.setPodUsage(NAMESPACE, 'web-7d9f-a', { cpu: '2', memory: '512Mi' });
    emu.store.setPodUsage(NAMESPACE, 'debug', { cpu: '100m', memory: '3Gi' });
    const { batches, setClock } = await meter({ charging: 'max' });
    await metering?.sampler.begin(T0);
    setClock(T0 + 60.2);
    await metering?.sampler.tick(T0 + 60);
    const of = (pod: string) => batches[0]?.pods.find((p) => p.pod === pod);
    // web: usage 2 cores > 0.5 requested; memory 0.5 GiB < 1 GiB requested.
    expect(of('web-7d9f-a')).toMatchObject({ cpuCoreSeconds: 120, memoryByteSeconds: 60 * GiB });
    expect(of('debug')).toMatchObject({ cpuCoreSeconds: 30, memoryByteSeconds: 180 * GiB });
  });

  it('charges a pod deleted mid-window until it went, and one that started mid-window from its start', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    const { batches, setClock } = await meter({ charging: 'max' });
    await metering?.sampler.begin(T0);
    setClock(T0 + 20);
    emu.store.delete('pods', NAMESPACE, 'debug');
    await waitFor(() => !pipeline?.pods.items.has(`${NAMESPACE}/debug`));
    emu.store.create(
      'pods',
      podObject('late', {
        startTime: new Date((T0 + 30) * 1000).toISOString(),
      }),
    );
    await waitFor(() => pipeline?.pods.items.has(`${NAMESPACE}/late`));
    setClock(T0 + 60.2);
    await metering?.sampler.tick(T0 + 60);
    const of = (pod: string) => batches[0]?.pods.find((p) => p.pod === pod)?.cpuCoreSeconds;
    expect(of('debug')).toBe(10); // 20 s × 0.5 core
    expect(of('late')).toBe(15); // 30 s × 0.5 core
    setClock(T0 + 120.2);
    await metering?.sampler.tick(T0 + 120);
    expect(batches[1]?.pods.find((p) => p.pod === 'debug')).toBeUndefined(); // gone: not charged after
  });
});

describe('metering batches', () => {
  it('cuts a window of many pods into batches of a bounded size, and sends empty windows once', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    const { batches, setClock } = await meter({ maxPodsPerBatch: 4 });
    await metering?.sampler.begin(T0);
    setClock(T0 + 60.2);
    await metering?.sampler.tick(T0 + 60);
    expect(batches.map((b) => [b.windowStart, b.windowEnd, b.pods.length])).toEqual([
      [T0, T0 + 60, 4],
      [T0, T0 + 60, 4],
      [T0, T0 + 60, 1],
    ]);
    expect(new Set(batches.flatMap((b) => b.pods.map((p) => p.pod))).size).toBe(9);

    for (const pod of emu.store.list('pods'))
      emu.store.delete('pods', pod.metadata.namespace, pod.metadata.name);
    await waitFor(() => pipeline?.pods.items.size === 0);
    setClock(T0 + 180.2);
    await metering?.sampler.tick(T0 + 180); // two windows: the pods' last one, then an empty one
    expect(batches.slice(3).map((b) => [b.windowStart, b.pods.length])).toEqual([
      [T0 + 60, 0],
      [T0 + 120, 0],
    ]);
  });
});

describe('metrics.k8s.io usage source', () => {
  it('reads pod metrics page by page with limit/continue', async () => {
    emu = await startKubeEmulator({ cluster: { nodes: 2, namespaces: 3, pods: 35 } });
    const { client } = await clientFor(emu);
    const usage = await metricsApiUsage(client, 10).sample();
    const running = emu.store
      .list('pods')
      .filter((p) => (p.status as { phase?: string }).phase === 'Running');
    expect([...usage.keys()].sort()).toEqual(
      running.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).sort(),
    );
    const pages = emu.requests.filter((r) => r.path === '/apis/metrics.k8s.io/v1beta1/pods');
    expect(pages.length).toBe(Math.ceil(running.length / 10) + (running.length % 10 ? 0 : 1));
    expect(pages.every((r) => new URLSearchParams(r.query).get('limit') === '10')).toBe(true);
    const [first] = running;
    if (!first) throw new Error('the generated cluster has no running pod');
    const spec = first.spec as { containers: { resources: { requests: { cpu: string } } }[] };
    const requestedCores = spec.containers.reduce(
      (sum, c) => sum + Number.parseInt(c.resources.requests.cpu, 10) / 1000,
      0,
    );
    const key = `${first.metadata.namespace}/${first.metadata.name}`;
    expect(usage.get(key)?.cpuCores).toBeCloseTo(requestedCores, 6);
  });
});
