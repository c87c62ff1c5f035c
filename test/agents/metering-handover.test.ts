import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { LeaderElector } from '../../agents/leader-election';
import { silentLogger } from '../../agents/log';
import {
  LEASE_WINDOW_ANNOTATION,
  leaseWindowAnnotations,
  leaseWindowEnd,
} from '../../agents/metering/lease-window';
import type { MeteringPayload } from '../../protocol/metering-samples';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { type BatchHub, startBatchHub } from './batch-hub';
import { seedOwnedPods } from './metering-fixtures';
import { clientFor, tempDir, waitFor } from './support';

/**
 * Metering across leader hand-overs between two replicas, each with its own
 * data dir, against the API emulator and a batch-acking hub: the windows of
 * all replicas together cover time without a gap, and counted as the edge
 * counts them (a window belongs to the first agent that delivered it) no
 * window counts twice. Hand-overs: a leader crash to a replica that never
 * led (it must continue from the Lease's watermark, not its next boundary),
 * then a graceful release to the first replica restarted (its own last
 * window is old: it must continue after the other's, not re-meter them).
 */
const TOKEN = 'hub-token';
const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };
const PODS_PER_WINDOW = 9; // seedOwnedPods: every Running pod

let emu: KubeEmulator;
let hub: BatchHub;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await hub?.close();
  await emu?.close();
});

async function replica(agentId: string, dataDir: string): Promise<RunningAgent> {
  const { kubeconfig } = await clientFor(emu);
  const config: AgentConfig = {
    hubUrl: hub.url,
    token: TOKEN,
    kubeconfig,
    meteringIntervalSeconds: 1,
    meteringCharging: 'max',
    healthListen: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
    namespace: 'edgetower-system',
    agentId,
    dataDir,
  };
  const agent = await runAgent(config, silentLogger, timing);
  const closeOnce = agent.close;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await closeOnce();
  };
  cleanups.push(close);
  return Object.assign(agent, { close });
}

interface Delivered {
  agentId: string;
  window: MeteringPayload;
}

const delivered = (): Delivered[] =>
  hub.received
    .filter((b) => b.kind === 'metering')
    .map((b) => ({ agentId: b.agentId ?? '', window: b.payload as MeteringPayload }));

const windowsOf = (agentId: string, from = 0) =>
  delivered()
    .slice(from)
    .filter((d) => d.agentId === agentId);

const leaseWatermark = () =>
  emu.store.get('leases', 'edgetower-system', 'edgetower-agent')?.metadata.annotations?.[
    LEASE_WINDOW_ANNOTATION
  ];

/**
 * Counts the deliveries as the edge does — a window belongs to the first
 * agent that delivered it, and only its batches count — and checks that no
 * window counts twice (one window's pods each, even from one agent id across
 * its restart) and that the windows tile time from the first to the last.
 * Answers each window's owner.
 */
function expectCountedOnceWithoutGaps(deliveries: Delivered[]): Map<string, string> {
  const owner = new Map<string, string>();
  const counted = new Map<string, number>();
  for (const { agentId, window } of deliveries) {
    const key = `${window.windowStart}-${window.windowEnd}`;
    if (!owner.has(key)) owner.set(key, agentId);
    if (owner.get(key) === agentId) counted.set(key, (counted.get(key) ?? 0) + window.pods.length);
  }
  for (const [key, pods] of counted) expect([key, pods]).toEqual([key, PODS_PER_WINDOW]);
  const tiles = [...owner.keys()]
    .map((k) => k.split('-').map(Number) as [number, number])
    .sort((x, y) => x[0] - y[0]);
  expect(tiles.length).toBeGreaterThan(3);
  for (let i = 1; i < tiles.length; i++) expect([i, tiles[i]?.[0]]).toEqual([i, tiles[i - 1]?.[1]]);
  return owner;
}

describe('metering across leader hand-overs', () => {
  it('covers time without a gap and counts every window once at the edge', async () => {
    emu = await startKubeEmulator();
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    seedOwnedPods(emu);
    hub = await startBatchHub(TOKEN);
    const [dirA, dirB] = [await tempDir(), await tempDir()];

    const a = await replica('agent-a', dirA);
    await waitFor(() => a.elector.isLeader, 5000);
    await waitFor(() => windowsOf('agent-a').length >= 3, 15_000);
    const b = await replica('agent-b', dirB);
    const bFrom = delivered().length;
    // The leader's replica dies: no release; b takes over once the lease expired.
    await a.elector.stop({ release: false });
    await waitFor(() => b.elector.isLeader, 5000);
    await waitFor(() => windowsOf('agent-b', bFrom).length >= 3, 15_000);
    await a.close();

    // a comes back (its own last window is seconds old), b hands over gracefully.
    const a2 = await replica('agent-a', dirA);
    const handedAt = Number(leaseWatermark());
    const a2From = delivered().length;
    await b.close();
    await waitFor(() => a2.elector.isLeader, 5000);
    await waitFor(() => windowsOf('agent-a', a2From).length >= 3, 15_000);
    await a2.close();

    const all = delivered();
    // Up to the second hand-over (a's crash to b), and then over everything.
    expectCountedOnceWithoutGaps(all.slice(0, a2From));
    const owner = expectCountedOnceWithoutGaps(all);
    expect(new Set(all.map((d) => d.agentId))).toEqual(new Set(['agent-a', 'agent-b']));
    // Re-metered windows are only those of the Lease's lag (a round after the last
    // renewal): at most one per hand-over, not all of the other replica's windows.
    expect(all.length - owner.size).toBeLessThanOrEqual(2);
    // a2 resumed after b's windows, not after its own old ones.
    const resumed = windowsOf('agent-a', a2From)[0]?.window.windowStart ?? 0;
    expect(resumed).toBeGreaterThanOrEqual(handedAt);
    const bLast = Math.max(...windowsOf('agent-b').map((d) => d.window.windowEnd));
    expect(resumed).toBeGreaterThanOrEqual(bLast - 1);
  }, 60_000);
});

describe('the metering watermark on the Lease', () => {
  it('is written by the leader, kept by a successor with none yet, and handed to it', async () => {
    emu = await startKubeEmulator();
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const found: (number | undefined)[] = [];
    const elector = async (identity: string, windowEnd: () => number | undefined) => {
      const { client } = await clientFor(emu);
      const e = new LeaderElector({
        client,
        namespace: 'edgetower-system',
        identity,
        log: silentLogger,
        ...timing,
        annotations: () => leaseWindowAnnotations(windowEnd()),
        onStartedLeading: (lease) => found.push(leaseWindowEnd(lease.annotations)),
        onStoppedLeading: () => {},
      });
      e.start();
      cleanups.push(async () => {
        await e.stop({ release: false });
        client.close();
      });
      return e;
    };
    let aEnd: number | undefined;
    const a = await elector('agent-a', () => aEnd);
    await waitFor(() => a.isLeader);
    expect(leaseWatermark()).toBeUndefined(); // nothing metered yet: nothing claimed
    aEnd = 1_796_000_060;
    await waitFor(() => leaseWatermark() === '1796000060');
    const b = await elector('agent-b', () => undefined);
    aEnd = 1_796_000_120;
    await a.stop(); // the release carries the latest value
    await waitFor(() => b.isLeader, 5000);
    expect(found).toEqual([undefined, 1_796_000_120]);
    // b renews without a value of its own: a's stays.
    await new Promise((r) => setTimeout(r, 4 * timing.retryPeriodMs));
    expect(leaseWatermark()).toBe('1796000120');
    expect(leaseWindowEnd({ [LEASE_WINDOW_ANNOTATION]: 'soon' })).toBeUndefined();
  });
});
