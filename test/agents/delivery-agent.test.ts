import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { silentLogger } from '../../agents/log';
import type { AgentFeatureFrame, EdgeFeatureFrame, Tunnel } from '../../agents/tunnel';
import type { DeliveryStateFrame, DeliveryStatusFrame } from '../../protocol/delivery';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { ALICE, app, deployment } from './delivery-fixtures';
import { clientFor, waitFor } from './support';

/** The agent as a whole: delivery frames in through the tunnel, status and state out, on the leader. */

let emu: KubeEmulator | undefined;
let agent: RunningAgent | undefined;
afterEach(async () => {
  await agent?.close();
  await emu?.close();
  agent = undefined;
  emu = undefined;
});

interface FakeTunnel extends Tunnel {
  sent: AgentFeatureFrame[];
  deliver(frame: EdgeFeatureFrame): void;
  hello(): void;
}

function fakeTunnel(): FakeTunnel {
  const connected: ((reason: 'connected') => void)[] = [];
  const handlers = new Map<string, ((frame: EdgeFeatureFrame) => void)[]>();
  const sent: AgentFeatureFrame[] = [];
  return {
    sent,
    deliver: (frame) => {
      for (const cb of handlers.get(frame.type) ?? []) cb(frame);
    },
    hello: () => {
      for (const cb of connected) cb('connected');
    },
    sendInventory: () => {},
    onConnected: (cb) => {
      connected.push(cb);
    },
    onAck: () => {},
    sendBatch: () => false,
    onBatchAck: () => {},
    onQuotas: () => {},
    sendQuotaUsage: () => false,
    sendStatus: () => false,
    on: (type, cb) => {
      handlers.set(type, [...(handlers.get(type) ?? []), cb as (frame: EdgeFeatureFrame) => void]);
    },
    send: (frame) => {
      sent.push(structuredClone(frame));
      return true;
    },
    isConnected: () => true,
    close: async () => {},
  };
}

const statuses = (t: FakeTunnel) =>
  t.sent
    .filter((f): f is DeliveryStatusFrame => f.type === 'delivery-status')
    .flatMap((f) => f.apps);
const states = (t: FakeTunnel) =>
  t.sent.filter((f): f is DeliveryStateFrame => f.type === 'delivery-state');

describe('agent delivery', () => {
  it('applies on the leader, reports status, lists what it holds after every hello, deletes', async () => {
    emu = await startKubeEmulator({ workloads: { readyDelayMs: 50 } });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    emu.store.create('namespaces', {
      metadata: { name: 'shop', labels: { 'kubesphere.io/workspace': 'acme' } },
    });
    emu.store.create('rolebindings', {
      metadata: { name: 'alice', namespace: 'shop' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', name: 'alice' }],
    });
    const { kubeconfig } = await clientFor(emu);
    const tunnel = fakeTunnel();
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
    // The frame arrives before this replica leads: it is kept and applied once it does.
    const running = await runAgent(config, silentLogger, {
      leaseDurationMs: 1500,
      renewDeadlineMs: 1000,
      retryPeriodMs: 100,
      startTunnel: () => tunnel,
    });
    agent = running;
    tunnel.deliver({ type: 'delivery-apply', apps: [app([deployment('web')])] });
    await waitFor(
      () => statuses(tunnel).some((s) => s.state === 'ready' && s.generation === 1),
      10_000,
    );
    expect(running.elector.isLeader).toBe(true);
    // Leading on a live tunnel: the edge was told what the cluster holds.
    expect(states(tunnel).length).toBeGreaterThanOrEqual(1);

    tunnel.hello();
    await waitFor(
      () =>
        states(tunnel)
          .at(-1)
          ?.apps.some((a) => a.appId === 'app-1'),
      5000,
    );
    expect(states(tunnel).at(-1)?.apps).toEqual([{ appId: 'app-1', generation: 1 }]);

    tunnel.deliver({
      type: 'delivery-delete',
      apps: [{ appId: 'app-1', namespace: 'shop', identity: ALICE }],
    });
    await waitFor(() => statuses(tunnel).some((s) => s.state === 'deleted'), 5000);
    expect(emu.store.get('deployments', 'shop', 'web')).toBeUndefined();
    const before = states(tunnel).length;
    tunnel.hello();
    await waitFor(() => states(tunnel).length > before, 5000);
    expect(states(tunnel).at(-1)?.apps).toEqual([]);
  });
});
