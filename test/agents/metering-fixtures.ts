import type { KubeEmulator, KubeObject } from '../support/kube-emulator';

/** Objects for metering tests: one pod per owner kind, at known requests. */

export const WORKSPACE = 'retail';
export const NAMESPACE = 'shop';

const ref = (kind: string, name: string, apiVersion = 'apps/v1') => ({
  apiVersion,
  kind,
  name,
  uid: `${kind}-${name}`,
  controller: true,
});

export function podObject(
  name: string,
  options: {
    owner?: ReturnType<typeof ref>;
    cpu?: string;
    memory?: string;
    claims?: string[];
    startTime?: string;
    phase?: string;
    node?: string;
    namespace?: string;
  } = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: options.namespace ?? NAMESPACE,
      ...(options.owner ? { ownerReferences: [options.owner] } : {}),
    },
    spec: {
      nodeName: options.node ?? 'node-1',
      containers: [
        {
          name: 'main',
          resources: { requests: { cpu: options.cpu ?? '500m', memory: options.memory ?? '1Gi' } },
        },
      ],
      volumes: (options.claims ?? []).map((claimName) => ({
        name: claimName,
        persistentVolumeClaim: { claimName },
      })),
    },
    status: {
      phase: options.phase ?? 'Running',
      startTime: options.startTime ?? '2026-01-01T00:00:00Z',
    },
  };
}

/** A namespace in a workspace, and one pod for each way a pod can be owned. */
export function seedOwnedPods(emu: KubeEmulator): void {
  const { store } = emu;
  store.create('namespaces', {
    metadata: { name: NAMESPACE, labels: { 'kubesphere.io/workspace': WORKSPACE } },
  });
  store.create('namespaces', { metadata: { name: 'loose' } });
  store.create('replicasets', {
    metadata: {
      name: 'web-7d9f',
      namespace: NAMESPACE,
      ownerReferences: [ref('Deployment', 'web')],
    },
  });
  store.create('replicasets', { metadata: { name: 'orphan-rs', namespace: NAMESPACE } });
  store.create('jobs', {
    metadata: {
      name: 'nightly-2900',
      namespace: NAMESPACE,
      ownerReferences: [ref('CronJob', 'nightly', 'batch/v1')],
    },
  });
  store.create('jobs', { metadata: { name: 'migrate', namespace: NAMESPACE } });
  store.create('persistentvolumeclaims', {
    metadata: { name: 'data-db-0', namespace: NAMESPACE },
    spec: { resources: { requests: { storage: '10Gi' } } },
  });
  const pods = [
    podObject('web-7d9f-a', { owner: ref('ReplicaSet', 'web-7d9f') }),
    podObject('orphan-rs-b', { owner: ref('ReplicaSet', 'orphan-rs') }),
    podObject('db-0', { owner: ref('StatefulSet', 'db'), claims: ['data-db-0'] }),
    podObject('agent-x', { owner: ref('DaemonSet', 'agent') }),
    podObject('migrate-c', { owner: ref('Job', 'migrate', 'batch/v1') }),
    podObject('nightly-2900-d', { owner: ref('Job', 'nightly-2900', 'batch/v1') }),
    podObject('debug', {}),
    podObject('etcd-node-1', { owner: { ...ref('Node', 'node-1', 'v1'), controller: true } }),
    podObject('lonely', { namespace: 'loose' }),
    podObject('waiting', { phase: 'Pending' }),
  ];
  for (const pod of pods) store.create('pods', pod);
}
