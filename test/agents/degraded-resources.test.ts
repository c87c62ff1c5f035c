import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { createJsonLogger } from '../../agents/log';
import type { Tunnel } from '../../agents/tunnel';
import type {
  DegradedResource,
  InventorySnapshot,
  InventoryUpdate,
} from '../../functions/tunnel/inventory';
import type { AgentStatusFrame } from '../../functions/tunnel/protocol';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

const log = createJsonLogger({ level: 'error' });
let emu: KubeEmulator | undefined;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await emu?.close();
  emu = undefined;
});

const CLUSTER = {
  nodes: 20,
  edgeNodes: 4,
  namespaces: 20,
  pods: 1_000,
  warningEvents: 50,
  cronjobsPerNamespace: 1,
};

interface Run {
  agent: RunningAgent;
  sent: InventoryUpdate[];
  statuses: DegradedResource[][];
  startedAt: number;
}

function recordingTunnel(sent: InventoryUpdate[], statuses: DegradedResource[][]): Tunnel {
  return {
    sendInventory: (update) => sent.push(update),
    onConnected: (cb) => queueMicrotask(() => cb('connected')),
    onAck: () => {},
    sendBatch: () => false,
    onBatchAck: () => {},
    onQuotas: () => {},
    sendQuotaUsage: () => false,
    sendStatus: (frame: AgentStatusFrame) => {
      statuses.push(frame.degraded);
      return true;
    },
    on: () => {},
    send: () => false,
    isConnected: () => true,
    close: async () => {},
  };
}

/** The whole agent in-process (leader election, inventory, metering, quotas), its tunnel recorded. */
async function startAgent(target: KubeEmulator): Promise<Run> {
  const { kubeconfig } = await clientFor(target);
  const sent: InventoryUpdate[] = [];
  const statuses: DegradedResource[][] = [];
  const config: AgentConfig = {
    hubUrl: 'http://127.0.0.1:1',
    token: 't',
    kubeconfig,
    meteringIntervalSeconds: 60,
    meteringCharging: 'max',
    healthListen: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
    namespace: 'edgetower-system',
    agentId: 'agent-a',
  };
  const startedAt = Date.now();
  const agent = await runAgent(config, log, {
    leaseDurationMs: 2000,
    renewDeadlineMs: 1500,
    retryPeriodMs: 200,
    startTunnel: () => recordingTunnel(sent, statuses),
  });
  cleanups.push(() => agent.close());
  return { agent, sent, statuses, startedAt };
}

async function snapshotOf(run: Run): Promise<{ snapshot: InventorySnapshot; ms: number }> {
  const snapshot = (await waitFor(
    () => run.sent.find((u) => u.type === 'snapshot'),
    30_000,
  )) as InventorySnapshot;
  return { snapshot, ms: Date.now() - run.startedAt };
}

async function readyz(
  agent: RunningAgent,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${agent.health.port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const count = (s: InventorySnapshot, kind: 'pods' | 'deployments' | 'cronjobs' | 'daemonsets') =>
  s.namespaces.reduce((n, ns) => n + ns.workloads[kind], 0);

describe('per-resource degradation', () => {
  it('five unreadable resources: nodes and namespaces still reach the edge within the usual sync time, the five are reported, and they flow once readable', async () => {
    // Baseline: everything readable.
    emu = await startKubeEmulator({ version: '1.30', cluster: CLUSTER });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const baseline = await snapshotOf(await startAgent(emu));
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    await emu.close();

    // Four lists RBAC forbids and one resource this cluster does not serve.
    emu = await startKubeEmulator({
      version: '1.30',
      cluster: CLUSTER,
      forbidden: ['cronjobs', 'deployments', 'events', 'replicasets'],
      unserved: ['daemonsets'],
    });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const run = await startAgent(emu);
    const degradedRun = await snapshotOf(run);
    console.log(
      `inventory at the edge: all readable ${baseline.ms} ms, five unreadable ${degradedRun.ms} ms`,
    );
    // "Within the usual sync time": no slower than the all-readable run, give or take a flush.
    expect(degradedRun.ms).toBeLessThanOrEqual(Math.max(baseline.ms * 2, baseline.ms + 1500));

    const { snapshot } = degradedRun;
    expect(snapshot.nodes).toHaveLength(20);
    expect(snapshot.namespaces.length).toBe(baseline.snapshot.namespaces.length);
    expect(count(snapshot, 'pods')).toBe(count(baseline.snapshot, 'pods'));
    expect(count(snapshot, 'deployments')).toBe(0);
    expect(snapshot.events).toEqual([]);

    const expected = [
      ['cronjobs.batch', /^forbidden: /],
      ['daemonsets.apps', /^not served: /],
      ['deployments.apps', /^forbidden: /],
      ['events', /^forbidden: /],
      ['replicasets.apps', /^forbidden: /],
    ] as const;
    const reported = await waitFor(() => {
      const last = run.statuses.at(-1) ?? [];
      return last.length === expected.length ? last : undefined;
    }, 10_000);
    expect(reported.map((d) => d.resource)).toEqual(expected.map(([r]) => r));
    for (const [i, [, reason]] of expected.entries()) expect(reported[i]?.reason).toMatch(reason);
    // Metering did not wait on the owner map it cannot read; the agent is ready.
    await run.agent.metering()?.ready();
    const ready = await readyz(run.agent);
    expect(ready.status).toBe(200);
    expect(ready.body.degraded).toEqual(reported);

    // RBAC fixed, the resource installed: retried with backoff, counts arrive as deltas.
    emu.setForbidden([]);
    emu.setUnserved([]);
    await waitFor(() => run.statuses.at(-1)?.length === 0, 45_000);
    const deltas = () =>
      run.sent.filter((u) => u.type === 'delta').flatMap((u) => u.namespaces?.upserts ?? []);
    await waitFor(() => deltas().reduce((n, ns) => n + ns.workloads.deployments, 0) > 0, 10_000);
    const pipeline = run.agent.pipeline();
    expect(pipeline?.informers.every((i) => i.hasSynced && i.degradedReason === undefined)).toBe(
      true,
    );
  }, 120_000);

  it('a 403 on nodes themselves: pods still counted, nodes reported', async () => {
    emu = await startKubeEmulator({
      version: '1.20',
      cluster: { nodes: 3, namespaces: 3, pods: 30 },
    });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    emu.setForbidden(['nodes']);
    const run = await startAgent(emu);
    const { snapshot } = await snapshotOf(run);
    expect(snapshot.nodes).toEqual([]);
    expect(count(snapshot, 'pods')).toBe(30);
    // 1.20 serves CronJobs at batch/v1beta1 only: read there, not reported.
    expect(count(snapshot, 'cronjobs')).toBeGreaterThan(0);
    const reported = await waitFor(() => run.statuses.at(-1)?.length === 1 && run.statuses.at(-1));
    expect(reported).toEqual([
      { resource: 'nodes', reason: expect.stringMatching(/^forbidden: /) },
    ]);
  }, 60_000);
});
