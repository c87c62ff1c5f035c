import { afterEach, describe, expect, it } from 'vitest';
import { type InventoryPipeline, startInventoryPipeline } from '../../agents/inventory-pipeline';
import { silentLogger } from '../../agents/log';
import { type MeteringRunner, startMetering } from '../../agents/metering/metering-runner';
import type { MeteringPayload } from '../../protocol/metering-samples';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { type FakePrometheus, startFakePrometheus } from '../support/kube-emulator/prometheus';
import { NAMESPACE, seedOwnedPods } from './metering-fixtures';
import { clientFor } from './support';

let emu: KubeEmulator;
let prometheus: FakePrometheus;
let pipeline: InventoryPipeline | undefined;
let metering: MeteringRunner | undefined;
afterEach(async () => {
  await metering?.stop();
  await pipeline?.stop();
  await prometheus?.close();
  await emu?.close();
});

const T0 = Date.UTC(2026, 11, 1, 10) / 1000;
const GiB = 2 ** 30;

async function meterWithPrometheus(charging: 'max' | 'usage') {
  let clock = T0 * 1000;
  const now = () => clock;
  emu = await startKubeEmulator();
  seedOwnedPods(emu);
  prometheus = await startFakePrometheus(emu.store, { now });
  const { client } = await clientFor(emu);
  pipeline = startInventoryPipeline({
    client,
    log: silentLogger,
    send: () => {},
    sequence: { next: () => 1, current: () => 1 },
  });
  const batches: MeteringPayload[] = [];
  metering = startMetering({
    client,
    pipeline,
    intervalSeconds: 60,
    charging,
    prometheusUrl: prometheus.url,
    spool: { unacknowledged: () => [], read: async () => undefined },
    submit: async (payload) => batches.push(payload),
    log: silentLogger,
    autoStart: false,
    now,
  });
  await metering.ready();
  const at = async (seconds: number) => {
    clock = seconds * 1000;
  };
  return { batches, at };
}

const podIn = (batch: MeteringPayload | undefined, pod: string) =>
  batch?.pods.find((p) => p.pod === pod);

describe('metering from Prometheus', () => {
  it('meters cpu and network as counter deltas and memory as the working set', async () => {
    const { batches, at } = await meterWithPrometheus('usage');
    emu.store.setPodUsage(NAMESPACE, 'web-7d9f-a', { cpu: '1500m', memory: '2Gi' });
    prometheus.setNetworkRate(NAMESPACE, 'web-7d9f-a', { rx: 1000, tx: 250 });
    await metering?.sampler.begin(T0); // the base sample
    await at(T0 + 60);
    await metering?.sampler.tick(T0 + 60);
    expect(podIn(batches[0], 'web-7d9f-a')).toMatchObject({
      workloadKind: 'Deployment',
      cpuCoreSeconds: expect.closeTo(90, 6), // 1.5 cores × 60 s, from the counter
      memoryByteSeconds: 120 * GiB,
      netReceivedBytes: expect.closeTo(60_000, 6),
      netTransmittedBytes: expect.closeTo(15_000, 6),
    });
    const queried = prometheus.queries.join('\n');
    for (const metric of [
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
      'container_network_receive_bytes_total',
      'container_network_transmit_bytes_total',
    ])
      expect(queried).toContain(metric);
  });

  it('counts a reset counter from zero instead of going negative', async () => {
    const { batches, at } = await meterWithPrometheus('usage');
    prometheus.setNetworkRate(NAMESPACE, 'db-0', { rx: 100, tx: 0 });
    await metering?.sampler.begin(T0);
    await at(T0 + 60);
    await metering?.sampler.tick(T0 + 60);
    await at(T0 + 90);
    prometheus.resetCounters(NAMESPACE, 'db-0'); // container restart half-way through
    await at(T0 + 120);
    await metering?.sampler.tick(T0 + 120);
    expect(podIn(batches[0], 'db-0')?.netReceivedBytes).toBeCloseTo(6000, 6);
    // After the reset only the 30 s since it are known: 3000, never a negative delta.
    expect(podIn(batches[1], 'db-0')?.netReceivedBytes).toBeCloseTo(3000, 6);
    expect(podIn(batches[1], 'db-0')?.cpuCoreSeconds).toBeCloseTo(15, 6); // 0.5 core × 30 s
  });

  it('still charges requests in max mode where the counter says less', async () => {
    const { batches, at } = await meterWithPrometheus('max');
    emu.store.setPodUsage(NAMESPACE, 'debug', { cpu: '50m', memory: '100Mi' });
    await metering?.sampler.begin(T0);
    await at(T0 + 60);
    await metering?.sampler.tick(T0 + 60);
    expect(podIn(batches[0], 'debug')).toMatchObject({
      cpuCoreSeconds: 30, // the 500m request beats 3 core-seconds used
      memoryByteSeconds: 60 * GiB,
    });
  });
});
