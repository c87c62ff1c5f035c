import { beforeAll, describe, expect, it } from 'vitest';
import type { TestAgent } from './support/agent-socket';
import { appId, grantedCluster, leader, nextApply, readyStatus, sends } from './support/delivery';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
const agents: Record<string, TestAgent> = {};
const tokens: Record<string, string> = {};

const manifests = [
  { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'conf' }, data: { a: '1' } },
];
const spec = (over: Record<string, unknown> = {}) => ({
  namespace: 'alpha-roll',
  manifests,
  placement: { clusterSelector: { matchLabels: { ring: 'one' } } },
  rollout: { maxUnavailableClusters: 1 },
  ...over,
});

const status = async (name: string) =>
  (await api('GET', `/api/v1/workspaces/alpha/apps/${name}`, fx.as('alpha-admin'))).body as {
    generation: number;
    status: {
      phase: string;
      halted?: { cluster: string; message: string };
      clusters: { cluster: string; state: string; targetGeneration: number }[];
    };
  };
const targets = async (name: string) =>
  Object.fromEntries(
    (await status(name)).status.clusters.map((c) => [c.cluster, c.targetGeneration]),
  );

beforeAll(async () => {
  fx = await seedFixture();
  for (const name of ['r1', 'r2', 'r3']) {
    const { joinToken } = await grantedCluster(fx, name, { ring: 'one' });
    tokens[name] = joinToken;
    agents[name] = await leader(joinToken);
  }
});

describe('staged rollout', () => {
  it('goes to N clusters at a time, the next only when those are ready', async () => {
    const created = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
      name: 'staged',
      ...spec(),
    });
    expect(created.status).toBe(201);
    const id = await appId('staged');
    expect((await nextApply(agents.r1!)).apps[0]?.generation).toBe(1);
    expect(await sends(agents.r2!, 'delivery-apply')).toBe(false);
    expect(await targets('staged')).toEqual({ r1: 1, r2: 0, r3: 0 });
    expect((await status('staged')).status.phase).toBe('Progressing');

    await agents.r1!.send(readyStatus(id, 1, 'progressing'));
    expect(await sends(agents.r2!, 'delivery-apply')).toBe(false);
    await agents.r1!.send(readyStatus(id, 1));
    expect((await nextApply(agents.r2!)).apps[0]?.appId).toBe(id);
    await agents.r2!.send(readyStatus(id, 1));
    expect((await nextApply(agents.r3!)).apps[0]?.appId).toBe(id);
    await agents.r3!.send(readyStatus(id, 1));
    expect((await status('staged')).status.phase).toBe('Ready');
  });

  it('halts on a failing cluster, naming it, until the app changes', async () => {
    const id = await appId('staged');
    const put = await api(
      'PUT',
      '/api/v1/workspaces/alpha/apps/staged',
      fx.as('alpha-admin'),
      spec({ nodes: 'cloud' }),
    );
    expect(put.status).toBe(200);
    expect((await nextApply(agents.r1!)).apps[0]?.generation).toBe(2);
    await agents.r1!.send(readyStatus(id, 2, 'failed', 'Deployment web: ProgressDeadlineExceeded'));
    const halted = await status('staged');
    expect(halted.status.phase).toBe('Halted');
    expect(halted.status.halted).toEqual({
      cluster: 'r1',
      message: 'Deployment web: ProgressDeadlineExceeded',
    });
    expect(await sends(agents.r2!, 'delivery-apply')).toBe(false);
    // Recovering later does not resume a halted generation.
    await agents.r1!.send(readyStatus(id, 2));
    expect((await status('staged')).status.phase).toBe('Halted');
    expect(await sends(agents.r2!, 'delivery-apply')).toBe(false);

    const fixed = await api(
      'PUT',
      '/api/v1/workspaces/alpha/apps/staged',
      fx.as('alpha-admin'),
      spec({ nodes: 'any' }),
    );
    expect(fixed.status).toBe(200);
    expect((await nextApply(agents.r1!)).apps[0]?.generation).toBe(3);
    expect((await status('staged')).status.phase).toBe('Progressing');
  });

  it('defers an unreachable cluster: it neither halts nor counts, and gets its turn on return', async () => {
    const id = await appId('staged');
    await agents.r1!.send(readyStatus(id, 3));
    expect((await nextApply(agents.r2!)).apps[0]?.generation).toBe(3);
    agents.r3!.ws.close(1000, 'away');
    await expect
      .poll(
        async () => (await status('staged')).status.clusters.find((c) => c.cluster === 'r3')?.state,
      )
      .toBe('unreachable');
    await agents.r2!.send(readyStatus(id, 3));
    // r3 is away: nothing is admitted, nothing halts.
    await expect.poll(async () => (await targets('staged')).r3).toBe(1);
    expect((await status('staged')).status.phase).toBe('Degraded');
    agents.r3 = await leader(tokens.r3!, [{ appId: id, generation: 1 }]);
    expect((await nextApply(agents.r3)).apps[0]?.generation).toBe(3);
    await agents.r3.send(readyStatus(id, 3));
    expect((await status('staged')).status.phase).toBe('Ready');
  });

  it('halts a cluster that is not ready within progressDeadlineSeconds', async () => {
    const created = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
      name: 'slow',
      ...spec({
        namespace: 'alpha-slow',
        rollout: { maxUnavailableClusters: 2, progressDeadlineSeconds: 1 },
      }),
    });
    expect(created.status).toBe(201);
    expect(Object.values(await targets('slow')).sort()).toEqual([0, 1, 1]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const halted = await status('slow');
    expect(halted.status.phase).toBe('Halted');
    expect(halted.status.halted?.message).toMatch(/progressDeadlineSeconds/);
  });
});
