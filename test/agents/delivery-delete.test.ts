import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryStateFrame } from '../../protocol/delivery';
import {
  ALICE,
  app,
  configMap,
  type DeliveryRig,
  deployment,
  startRig,
  waitForState,
} from './delivery-fixtures';
import { waitFor } from './support';

let rig: DeliveryRig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(async () => {
  await rig.close();
});

const states = () => rig.sent.filter((f): f is DeliveryStateFrame => f.type === 'delivery-state');

describe('delivery-delete', () => {
  it('deletes the app objects (background propagation, as the editor) and reports deleted', async () => {
    rig.controller.apply([app([deployment('web'), configMap('settings')])]);
    await waitForState(rig, 'ready');
    rig.emu.store.create('configmaps', {
      metadata: { name: 'not-ours', namespace: 'shop' },
      data: {},
    });
    rig.controller.delete({
      type: 'delivery-delete',
      apps: [{ appId: 'app-1', namespace: 'shop', identity: ALICE }],
    });
    await waitForState(rig, 'deleted', 0);
    expect(rig.emu.store.get('deployments', 'shop', 'web')).toBeUndefined();
    expect(rig.emu.store.get('configmaps', 'shop', 'settings')).toBeUndefined();
    expect(rig.emu.store.get('configmaps', 'shop', 'not-ours')).toBeDefined();
    expect(rig.emu.store.get('namespaces', undefined, 'shop')).toBeDefined();
    const deletes = rig.emu.requests.filter((r) => r.method === 'DELETE');
    expect(deletes.map((r) => r.impersonateUser)).toEqual(['alice', 'alice']);
    // Deleted is not drift: nothing comes back.
    await new Promise((r) => setTimeout(r, 300));
    expect(rig.emu.store.get('deployments', 'shop', 'web')).toBeUndefined();
  });

  it('deletes an app this agent never applied (it restarted), found by label', async () => {
    rig.controller.apply([app([deployment('web')])]);
    await waitForState(rig, 'ready');
    const restarted = await rig.restart();
    restarted.delete({
      type: 'delivery-delete',
      apps: [{ appId: 'app-1', namespace: 'shop', identity: ALICE }],
    });
    await waitFor(
      () =>
        restarted.status('app-1') === undefined &&
        rig.emu.store.get('deployments', 'shop', 'web') === undefined,
      5000,
    );
  });

  it('answers deleted for an app the cluster holds nothing of, touching nothing', async () => {
    rig.controller.delete({
      type: 'delivery-delete',
      apps: [{ appId: 'never-here', namespace: 'shop', identity: ALICE }],
    });
    const deleted = await waitFor(() => {
      for (const frame of rig.sent)
        if (frame.type === 'delivery-status') {
          const found = frame.apps.find((a) => a.appId === 'never-here');
          if (found?.state === 'deleted') return found;
        }
      return undefined;
    }, 5000);
    expect(deleted.resources).toEqual([]);
    expect(rig.emu.requests.filter((r) => r.method === 'DELETE')).toHaveLength(0);
  });
});

describe('delivery-state', () => {
  it('lists the apps the cluster holds after every hello, read from the cluster', async () => {
    rig.controller.apply([
      app([deployment('web')]),
      app([configMap('c')], { appId: 'app-2', name: 'api', generation: 3 }),
    ]);
    await waitFor(
      () =>
        rig.controller.status('app-1')?.state === 'ready' &&
        rig.controller.status('app-2')?.state === 'ready',
      5000,
    );

    // The tunnel drops and comes back: the leader says what the cluster holds, then all statuses again.
    rig.connected.value = false;
    rig.connected.value = true;
    const before = rig.sent.length;
    await rig.controller.connected();
    const state = states().at(-1);
    expect(state?.apps.sort((a, b) => a.appId.localeCompare(b.appId))).toEqual([
      { appId: 'app-1', generation: 1 },
      { appId: 'app-2', generation: 3 },
    ]);
    await waitFor(
      () => rig.sent.slice(before).some((f) => f.type === 'delivery-status' && f.apps.length === 2),
      2000,
    );

    // A restarted agent holds no desired state: the apps are listed with generation 0, so the edge sends them again.
    const restarted = await rig.restart();
    await restarted.connected();
    expect(
      states()
        .at(-1)
        ?.apps.sort((a, b) => a.appId.localeCompare(b.appId)),
    ).toEqual([
      { appId: 'app-1', generation: 0 },
      { appId: 'app-2', generation: 0 },
    ]);
    restarted.apply([app([deployment('web')])]);
    await waitFor(() => restarted.status('app-1')?.state === 'ready', 5000);
    await restarted.connected();
    expect(
      states()
        .at(-1)
        ?.apps.find((a) => a.appId === 'app-1'),
    ).toEqual({ appId: 'app-1', generation: 1 });
  });

  it('sends nothing while disconnected and everything after the next hello', async () => {
    rig.connected.value = false;
    rig.controller.apply([app([deployment('web')])]);
    await waitFor(() => rig.controller.status('app-1')?.state === 'ready', 5000);
    expect(rig.sent).toHaveLength(0);
    rig.connected.value = true;
    await rig.controller.connected();
    expect(states()).toHaveLength(1);
    await waitForState(rig, 'ready');
  });
});
