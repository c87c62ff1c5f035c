import { type DeliveryController, startDelivery } from '../../agents/delivery';
import { silentLogger } from '../../agents/log';
import type {
  DeliveryApp,
  DeliveryAppStatus,
  DeliveryStateFrame,
  DeliveryStatusFrame,
  KubeObject,
} from '../../protocol/delivery';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { clientFor, waitFor } from './support';

/** The emulator as the member cluster, and a fake tunnel collecting what the leader sends. */
export interface DeliveryRig {
  emu: KubeEmulator;
  controller: DeliveryController;
  sent: (DeliveryStatusFrame | DeliveryStateFrame)[];
  connected: { value: boolean };
  /** A fresh controller over the same cluster (a restarted agent). */
  restart(): Promise<DeliveryController>;
  close(): Promise<void>;
}

export const ALICE = { user: 'alice', groups: ['edgetower:acme:dev'] };

export async function startRig(): Promise<DeliveryRig> {
  const emu = await startKubeEmulator({ workloads: { readyDelayMs: 50, failDelayMs: 150 } });
  emu.store.create('namespaces', {
    metadata: { name: 'shop', labels: { 'kubesphere.io/workspace': 'acme' } },
  });
  // What role projection puts there: alice edits in "shop".
  emu.store.create('rolebindings', {
    metadata: { name: 'edgetower-edit-alice', namespace: 'shop' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
    subjects: [{ kind: 'User', name: 'alice' }],
  });
  // As agents/deploy/rbac.yaml: the agent itself may not read Secrets or custom resources.
  emu.setForbidden(['secrets', 'crontabs']);
  const { client } = await clientFor(emu);
  const sent: DeliveryRig['sent'] = [];
  const connected = { value: true };
  const controllers: DeliveryController[] = [];
  const make = () => {
    const controller = startDelivery({
      client,
      log: silentLogger,
      send: (frame) => {
        if (!connected.value) return false;
        sent.push(structuredClone(frame));
        return true;
      },
      debounceMs: 20,
      stallTimeoutMs: 60_000,
    });
    controllers.push(controller);
    return controller;
  };
  const rig: DeliveryRig = {
    emu,
    controller: make(),
    sent,
    connected,
    async restart() {
      await rig.controller.stop();
      rig.controller = make();
      return rig.controller;
    },
    async close() {
      await Promise.all(controllers.map((c) => c.stop()));
      client.close();
      await emu.close();
    },
  };
  return rig;
}

export const deployment = (name: string, image = 'nginx:1.27', replicas?: number): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    ...(replicas === undefined ? {} : { replicas }),
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name, image }] },
    },
  },
});

export const configMap = (name: string, data: Record<string, string> = { a: '1' }): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name },
  data,
});

export function app(manifests: KubeObject[], overrides: Partial<DeliveryApp> = {}): DeliveryApp {
  return {
    appId: 'app-1',
    name: 'web',
    workspace: 'acme',
    namespace: 'shop',
    generation: 1,
    manifests,
    identity: ALICE,
    progressDeadlineSeconds: 600,
    ...overrides,
  };
}

/** The newest status the leader sent for an app. */
export function lastStatus(rig: DeliveryRig, appId = 'app-1'): DeliveryAppStatus | undefined {
  for (let i = rig.sent.length - 1; i >= 0; i--) {
    const frame = rig.sent[i];
    if (frame?.type !== 'delivery-status') continue;
    const found = frame.apps.find((a) => a.appId === appId);
    if (found) return found;
  }
  return undefined;
}

export const waitForState = (
  rig: DeliveryRig,
  state: DeliveryAppStatus['state'],
  generation = 1,
  timeoutMs = 5000,
) =>
  waitFor(() => {
    const status = lastStatus(rig);
    return status?.state === state && status.generation === generation ? status : undefined;
  }, timeoutMs);

/** A nested field of a JSON value (undefined anywhere along the way gives undefined). */
export const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], value);

/** The field managers of a stored object. */
export const managersOf = (obj: unknown): string[] =>
  ((at(obj, 'metadata', 'managedFields') as { manager: string }[] | undefined) ?? []).map(
    (m) => m.manager,
  );
