import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { LeaderElector } from '../../agents/leader-election';
import { silentLogger } from '../../agents/log';
import type { Tunnel } from '../../agents/tunnel';
import type { InventoryUpdate } from '../../functions/tunnel/inventory';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

let emu: KubeEmulator;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await emu?.close();
});

// Generous against a busy machine: a renewal every 100 ms, 1 s of missed renewals before stepping down.
const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

async function elector(identity: string, transitions: string[]) {
  const { client } = await clientFor(emu);
  const e = new LeaderElector({
    client,
    namespace: 'edgetower-system',
    identity,
    log: silentLogger,
    ...timing,
    onStartedLeading: () => transitions.push(`${identity} leads`),
    onStoppedLeading: () => transitions.push(`${identity} stops`),
  });
  e.start();
  cleanups.push(async () => {
    await e.stop({ release: false });
    client.close();
  });
  return e;
}

const holder = () =>
  (
    emu.store.get('leases', 'edgetower-system', 'edgetower-agent')?.spec as
      | { holderIdentity?: string }
      | undefined
  )?.holderIdentity;

describe('leader election', () => {
  it('elects exactly one leader; a crashed leader is replaced once its lease expires', async () => {
    emu = await startKubeEmulator();
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const transitions: string[] = [];
    const a = await elector('agent-a', transitions);
    const b = await elector('agent-b', transitions);
    await waitFor(() => a.isLeader || b.isLeader);
    const [leader, follower] = a.isLeader ? [a, b] : [b, a];
    // Stays one leader over several renew periods.
    for (let i = 0; i < 10; i++) {
      expect(a.isLeader && b.isLeader).toBe(false);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(leader.isLeader).toBe(true);
    const leaderName = holder();
    const crashedAt = Date.now();
    await leader.stop({ release: false }); // dies without releasing
    await waitFor(() => follower.isLeader, 5000);
    expect(Date.now() - crashedAt).toBeGreaterThanOrEqual(timing.leaseDurationMs - 150);
    expect(holder()).not.toBe(leaderName);
    expect(transitions).toHaveLength(3);
    const lease = emu.store.get('leases', 'edgetower-system', 'edgetower-agent')?.spec as {
      leaseTransitions: number;
    };
    expect(lease.leaseTransitions).toBe(1);
  });

  it('hands over at once when the leader releases, and steps down when someone else holds the lease', async () => {
    emu = await startKubeEmulator();
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const transitions: string[] = [];
    const a = await elector('agent-a', transitions);
    await waitFor(() => a.isLeader);
    const b = await elector('agent-b', transitions);
    const releasedAt = Date.now();
    await a.stop(); // graceful: releases
    await waitFor(() => b.isLeader, 5000);
    expect(Date.now() - releasedAt).toBeLessThan(timing.leaseDurationMs);

    emu.store.patch('leases', 'edgetower-system', 'edgetower-agent', (lease) => {
      (lease.spec as { holderIdentity: string }).holderIdentity = 'intruder';
    });
    await waitFor(() => !b.isLeader, 5000);
    expect(transitions).toEqual([
      'agent-a leads',
      'agent-a stops',
      'agent-b leads',
      'agent-b stops',
    ]);
  });
});

function fakeTunnel(sent: InventoryUpdate[]): Tunnel {
  const connected: ((reason: 'connected') => void)[] = [];
  return {
    sendInventory: (update) => sent.push(update),
    onConnected: (cb) => {
      connected.push(cb);
      queueMicrotask(() => cb('connected'));
    },
    onAck: () => {},
    sendBatch: () => false,
    onBatchAck: () => {},
    onQuotas: () => {},
    sendQuotaUsage: () => false,
    sendStatus: () => false,
    on: () => {},
    send: () => false,
    isConnected: () => true,
    close: async () => {},
  };
}

describe('two agents', () => {
  it('only the leader pushes inventory; when it dies the other takes over with a snapshot', async () => {
    emu = await startKubeEmulator({ cluster: { nodes: 3, edgeNodes: 1, pods: 20 } });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const { kubeconfig } = await clientFor(emu);
    const sent = new Map<string, InventoryUpdate[]>();
    const agents: RunningAgent[] = [];
    for (const agentId of ['agent-a', 'agent-b']) {
      const updates: InventoryUpdate[] = [];
      sent.set(agentId, updates);
      const config: AgentConfig = {
        hubUrl: 'http://127.0.0.1:1',
        token: 't',
        kubeconfig,
        meteringIntervalSeconds: 60,
        meteringCharging: 'max',
        healthListen: { host: '127.0.0.1', port: 0 },
        logLevel: 'error',
        namespace: 'edgetower-system',
        agentId,
      };
      const agent = await runAgent(config, silentLogger, {
        ...timing,
        startTunnel: () => fakeTunnel(updates),
      });
      agents.push(agent);
      cleanups.push(() => agent.close());
    }
    await waitFor(
      () => [...sent.values()].some((u) => u.some((x) => x.type === 'snapshot')),
      10_000,
    );
    const leaderIndex = agents.findIndex((a) => a.elector.isLeader);
    const leader = agents[leaderIndex] as RunningAgent;
    const follower = agents[1 - leaderIndex] as RunningAgent;
    const leaderSent = sent.get(leader.config.agentId) ?? [];
    expect(sent.get(follower.config.agentId)).toEqual([]);
    expect(follower.pipeline()).toBeUndefined(); // the standby holds no cluster objects
    const snapshot = leaderSent.find((u) => u.type === 'snapshot');
    expect(snapshot).toMatchObject({ type: 'snapshot', cluster: { kubernetesVersion: 'v1.30.2' } });

    // Readiness: the leader is ready once synced, the follower is ready as a proxy.
    const ready = async (a: RunningAgent) =>
      (await fetch(`http://127.0.0.1:${a.health.port}/readyz`)).status;
    expect(await ready(leader)).toBe(200);
    expect(await ready(follower)).toBe(200);
    expect((await fetch(`http://127.0.0.1:${follower.health.port}/healthz`)).status).toBe(200);

    await leader.elector.stop({ release: false }); // the leader's replica dies
    await leader.pipeline()?.stop();
    await waitFor(
      () => (sent.get(follower.config.agentId) ?? []).some((u) => u.type === 'snapshot'),
      10_000,
    );
    const taken = (sent.get(follower.config.agentId) ?? []).find((u) => u.type === 'snapshot');
    expect(taken?.type === 'snapshot' && taken.nodes.filter((n) => n.edge)).toHaveLength(1);
  });
});
