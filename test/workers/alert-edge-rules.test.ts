import { runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { connectAgent } from './support/agent-socket';
import { adminToken, bearer } from './support/auth';
import { registerCluster } from './support/cluster-tunnel';
import { api } from './support/fixture';

let admin: Record<string, string>;

beforeAll(async () => {
  admin = bearer(await adminToken());
});
afterEach(() => vi.useRealTimers());

const register = (name: string) => registerCluster(admin, name);

const disconnectAlerts = async (cluster: string) =>
  (
    (await api('GET', '/api/v2/alerts', admin)).body as {
      labels: Record<string, string>;
      status: { state: string };
    }[]
  ).filter((a) => a.labels.alertname === 'ClusterDisconnected' && a.labels.cluster === cluster);

describe('built-in rule: cluster disconnected', () => {
  it('fires after the threshold without a live agent and resolves when an agent says HELLO again', async () => {
    const { joinToken, stub } = await register('fading');
    const agent = await connectAgent(joinToken);
    agent.ws.close(1000, 'bye');
    await agent.nextOf('closed');
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();

    // Within the threshold: nothing yet, and the alarm stays armed for the check.
    vi.setSystemTime(t0 + 30_000);
    await runDurableObjectAlarm(stub);
    expect(await disconnectAlerts('fading')).toEqual([]);

    vi.setSystemTime(t0 + 61_000);
    await runDurableObjectAlarm(stub);
    const fired = await disconnectAlerts('fading');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      labels: { severity: 'critical' },
      status: { state: 'active' },
    });

    // Fires once, however often the alarm rings.
    await runDurableObjectAlarm(stub);
    expect(await disconnectAlerts('fading')).toHaveLength(1);

    const back = await connectAgent(joinToken, 'agent-b');
    await vi.waitFor(async () => expect(await disconnectAlerts('fading')).toEqual([]));
    back.ws.close();
  });

  it('never fires for a cluster whose agent never connected', async () => {
    const { stub } = await register('never-seen');
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3600_000);
    await runDurableObjectAlarm(stub);
    expect(await disconnectAlerts('never-seen')).toEqual([]);
  });
});
