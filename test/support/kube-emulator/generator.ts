import { randomUUID } from 'node:crypto';
import type { KubeStore } from './store';
import type { KubeObject } from './types';

/** The shape of a generated cluster. Everything is deterministic except uids. */
export interface ClusterSpec {
  nodes?: number;
  /** How many of the nodes carry `node-role.kubernetes.io/edge` (the last ones). */
  edgeNodes?: number;
  /** How many nodes report Ready=False (the first workers). */
  notReadyNodes?: number;
  /** User namespaces `ns-0000`..., besides default and kube-system. */
  namespaces?: number;
  /** Namespaces are spread over `ws-0`...; 0 leaves them without a workspace label. */
  workspaces?: number;
  pods?: number;
  deploymentsPerNamespace?: number;
  statefulsetsPerNamespace?: number;
  jobsPerNamespace?: number;
  cronjobsPerNamespace?: number;
  warningEvents?: number;
  normalEvents?: number;
  kubeletVersion?: string;
}

const CREATED = '2026-01-01T00:00:00Z';
const pad = (n: number, width = 4) => String(n).padStart(width, '0');

// Shared sub-objects: real pods from one template are this alike, and sharing
// keeps a 150,000-pod emulator affordable while still sending full-size JSON.
const IMAGES = Array.from({ length: 30 }, (_, i) => ({
  names: [
    `registry.example.com/team/image-${i}@sha256:${'ab'.repeat(32)}`,
    `registry.example.com/team/image-${i}:v1.${i}`,
  ],
  sizeBytes: 50_000_000 + i * 1_000_000,
}));

function managedFields(manager: string): unknown[] {
  return [
    {
      manager,
      operation: 'Update',
      apiVersion: 'v1',
      time: CREATED,
      fieldsType: 'FieldsV1',
      fieldsV1: {
        'f:metadata': {
          'f:generateName': {},
          'f:labels': { '.': {}, 'f:app': {}, 'f:pod-template-hash': {} },
          'f:ownerReferences': {},
        },
        'f:spec': {
          'f:containers': {
            'k:{"name":"main"}': {
              '.': {},
              'f:image': {},
              'f:imagePullPolicy': {},
              'f:name': {},
              'f:resources': { '.': {}, 'f:limits': {}, 'f:requests': {} },
              'f:terminationMessagePath': {},
            },
          },
          'f:dnsPolicy': {},
          'f:restartPolicy': {},
          'f:schedulerName': {},
          'f:securityContext': {},
          'f:terminationGracePeriodSeconds': {},
        },
      },
    },
    {
      manager: 'kubelet',
      operation: 'Update',
      apiVersion: 'v1',
      time: CREATED,
      fieldsType: 'FieldsV1',
      subresource: 'status',
      fieldsV1: {
        'f:status': {
          'f:conditions': {},
          'f:containerStatuses': {},
          'f:hostIP': {},
          'f:phase': {},
          'f:podIP': {},
          'f:podIPs': {},
          'f:startTime': {},
        },
      },
    },
  ];
}

function containerSpec(name: string, cpu: string, memory: string) {
  return {
    name,
    image: `registry.example.com/team/${name}:v1.2.3`,
    imagePullPolicy: 'IfNotPresent',
    ports: [{ containerPort: 8080, protocol: 'TCP' }],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      {
        name: 'POD_NAME',
        valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
      },
    ],
    resources: { requests: { cpu, memory }, limits: { cpu: '1', memory: '1Gi' } },
    volumeMounts: [
      {
        name: 'kube-api-access',
        mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
        readOnly: true,
      },
    ],
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

interface Owner {
  kind: 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job';
  apiVersion: string;
  name: string;
  namespace: string;
  uid: string;
  podCount: number;
  /** Pod template parts shared by all its pods. */
  template?: {
    labels: Record<string, string>;
    spec: Record<string, unknown>;
    managed: unknown[];
    statuses: unknown[];
  };
}

const CONDITIONS_RUNNING = ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
  (type) => ({
    type,
    status: 'True',
    lastProbeTime: null,
    lastTransitionTime: CREATED,
  }),
);

function templateFor(owner: Owner, index: number): NonNullable<Owner['template']> {
  const cpu = `${50 + (index % 8) * 50}m`;
  const memory = `${64 * (1 + (index % 4))}Mi`;
  return {
    labels: { app: owner.name, 'pod-template-hash': `h${pad(index, 6)}` },
    spec: {
      containers: [containerSpec('main', cpu, memory), containerSpec('sidecar', '10m', '32Mi')],
      volumes: [
        {
          name: 'kube-api-access',
          projected: {
            defaultMode: 420,
            sources: [{ serviceAccountToken: { expirationSeconds: 3607, path: 'token' } }],
          },
        },
      ],
      restartPolicy: owner.kind === 'Job' ? 'OnFailure' : 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      securityContext: {},
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
    },
    managed: managedFields(owner.kind === 'Job' ? 'job-controller' : 'kube-controller-manager'),
    statuses: ['main', 'sidecar'].map((name) => ({
      name,
      ready: true,
      restartCount: 0,
      state: { running: { startedAt: CREATED } },
      image: `registry.example.com/team/${name}:v1.2.3`,
      imageID: `registry.example.com/team/${name}@sha256:${'cd'.repeat(32)}`,
      containerID: `containerd://${'ef'.repeat(32)}`,
      started: true,
    })),
  };
}

function node(i: number, spec: Required<ClusterSpec>): KubeObject {
  const name = `node-${pad(i, 5)}`;
  const total = spec.nodes;
  const edge = i >= total - spec.edgeNodes;
  const controlPlane = i === 0 && !edge;
  const ready = !(i >= 1 && i <= spec.notReadyNodes);
  const labels: Record<string, string> = {
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'beta.kubernetes.io/arch': 'amd64',
  };
  if (controlPlane) labels['node-role.kubernetes.io/control-plane'] = '';
  else if (edge) labels['node-role.kubernetes.io/edge'] = '';
  else labels['node-role.kubernetes.io/worker'] = '';
  const condition = (type: string, status: string, reason: string) => ({
    type,
    status,
    lastHeartbeatTime: CREATED,
    lastTransitionTime: CREATED,
    reason,
    message: `${type} is ${status}`,
  });
  return {
    metadata: {
      name,
      uid: randomUUID(),
      creationTimestamp: CREATED,
      labels,
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      managedFields: managedFields('kubelet'),
    },
    spec: {
      podCIDR: `10.244.${i % 256}.0/24`,
      ...(i === 1 && total > 3 ? { unschedulable: true } : {}),
    },
    status: {
      capacity: {
        cpu: edge ? '4' : '16',
        memory: edge ? '8148212Ki' : '65842636Ki',
        pods: '110',
        'ephemeral-storage': '102350Mi',
      },
      allocatable: {
        cpu: edge ? '3900m' : '15800m',
        memory: edge ? '7636212Ki' : '64794060Ki',
        pods: '110',
        'ephemeral-storage': '94323Mi',
      },
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID'),
        condition('Ready', ready ? 'True' : 'False', ready ? 'KubeletReady' : 'KubeletNotReady'),
      ],
      addresses: [
        { type: 'InternalIP', address: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}` },
        { type: 'Hostname', address: name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: 'f'.repeat(32),
        systemUUID: randomUUID(),
        bootID: randomUUID(),
        kernelVersion: '6.1.0-18-amd64',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        containerRuntimeVersion: 'containerd://1.7.13',
        kubeletVersion: spec.kubeletVersion,
        kubeProxyVersion: spec.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: IMAGES,
    },
  };
}

function workload(
  kind: string,
  name: string,
  namespace: string,
  replicas: number,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    metadata: {
      name,
      namespace,
      uid: randomUUID(),
      creationTimestamp: CREATED,
      labels: { app: name },
      generation: 1,
    },
    spec: { replicas, selector: { matchLabels: { app: name } }, ...extra },
    status: {
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      observedGeneration: 1,
    },
    kind,
  };
}

/**
 * Fills `store` with a cluster of the given size: nodes (some edge, some not
 * ready), namespaces with workspace labels, workloads that own pods, and
 * events. Loaded without watch events, as if it had always been there.
 */
export function generateCluster(store: KubeStore, input: ClusterSpec = {}): void {
  const spec: Required<ClusterSpec> = {
    nodes: 3,
    edgeNodes: 0,
    notReadyNodes: 0,
    namespaces: 3,
    workspaces: 2,
    pods: 10,
    deploymentsPerNamespace: 2,
    statefulsetsPerNamespace: 1,
    jobsPerNamespace: 1,
    cronjobsPerNamespace: 1,
    warningEvents: 0,
    normalEvents: 0,
    kubeletVersion: 'v1.30.2',
    ...input,
  };

  const nodeNames: string[] = [];
  store.load(
    'nodes',
    (function* () {
      for (let i = 0; i < spec.nodes; i++) {
        const n = node(i, spec);
        nodeNames.push(n.metadata.name);
        yield n;
      }
    })(),
  );

  const userNamespaces = Array.from({ length: spec.namespaces }, (_, i) => `ns-${pad(i)}`);
  store.load(
    'namespaces',
    ['default', 'kube-system', ...userNamespaces].map((name, i) => ({
      metadata: {
        name,
        uid: randomUUID(),
        creationTimestamp: CREATED,
        labels: {
          'kubernetes.io/metadata.name': name,
          ...(i >= 2 && spec.workspaces > 0
            ? { 'kubesphere.io/workspace': `ws-${(i - 2) % spec.workspaces}` }
            : {}),
        },
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    })),
  );

  // Pod owners: replicasets (of deployments), statefulsets, jobs, and one daemonset in kube-system.
  const owners: Owner[] = [
    {
      kind: 'DaemonSet',
      apiVersion: 'apps/v1',
      name: 'kube-proxy',
      namespace: 'kube-system',
      uid: randomUUID(),
      podCount: 0,
    },
  ];
  const deployments: KubeObject[] = [];
  const statefulsets: KubeObject[] = [];
  const jobs: KubeObject[] = [];
  const cronjobs: KubeObject[] = [];
  for (const ns of userNamespaces) {
    for (let d = 0; d < spec.deploymentsPerNamespace; d++) {
      owners.push({
        kind: 'ReplicaSet',
        apiVersion: 'apps/v1',
        name: `web-${d}-h${pad(d, 6)}`,
        namespace: ns,
        uid: randomUUID(),
        podCount: 0,
      });
    }
    for (let s = 0; s < spec.statefulsetsPerNamespace; s++) {
      owners.push({
        kind: 'StatefulSet',
        apiVersion: 'apps/v1',
        name: `db-${s}`,
        namespace: ns,
        uid: randomUUID(),
        podCount: 0,
      });
    }
    for (let j = 0; j < spec.jobsPerNamespace; j++) {
      owners.push({
        kind: 'Job',
        apiVersion: 'batch/v1',
        name: `batch-${j}`,
        namespace: ns,
        uid: randomUUID(),
        podCount: 0,
      });
    }
    for (let c = 0; c < spec.cronjobsPerNamespace; c++) {
      cronjobs.push({
        metadata: {
          name: `nightly-${c}`,
          namespace: ns,
          uid: randomUUID(),
          creationTimestamp: CREATED,
        },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                spec: {
                  containers: [containerSpec('main', '100m', '64Mi')],
                  restartPolicy: 'OnFailure',
                },
              },
            },
          },
        },
        status: {},
      });
    }
  }
  for (let i = 0; i < spec.pods; i++) (owners[i % owners.length] as Owner).podCount++;

  const replicasets: KubeObject[] = [];
  const daemonsets: KubeObject[] = [];
  owners.forEach((owner, index) => {
    owner.template = templateFor(owner, index);
    if (owner.kind === 'ReplicaSet') {
      const deployName = owner.name.replace(/-h\d+$/, '');
      const deployment = workload('Deployment', deployName, owner.namespace, owner.podCount);
      deployments.push(deployment);
      const rs = workload('ReplicaSet', owner.name, owner.namespace, owner.podCount);
      rs.metadata.uid = owner.uid;
      rs.metadata.ownerReferences = [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name: deployName,
          uid: deployment.metadata.uid as string,
          controller: true,
        },
      ];
      replicasets.push(rs);
    } else if (owner.kind === 'StatefulSet') {
      const sts = workload('StatefulSet', owner.name, owner.namespace, owner.podCount, {
        serviceName: owner.name,
      });
      sts.metadata.uid = owner.uid;
      statefulsets.push(sts);
    } else if (owner.kind === 'Job') {
      const job = workload('Job', owner.name, owner.namespace, owner.podCount, {
        completions: owner.podCount,
        parallelism: owner.podCount,
      });
      job.metadata.uid = owner.uid;
      jobs.push(job);
    } else {
      const ds = workload('DaemonSet', owner.name, owner.namespace, owner.podCount);
      ds.metadata.uid = owner.uid;
      daemonsets.push(ds);
    }
  });
  for (const [plural, list] of [
    ['deployments', deployments],
    ['replicasets', replicasets],
    ['statefulsets', statefulsets],
    ['daemonsets', daemonsets],
    ['jobs', jobs],
    ['cronjobs', cronjobs],
  ] as const) {
    store.load(plural, list);
  }

  const podNames: { namespace: string; name: string }[] = [];
  store.load(
    'pods',
    (function* () {
      const seen = new Map<Owner, number>();
      for (let i = 0; i < spec.pods; i++) {
        const owner = owners[i % owners.length] as Owner;
        const ordinal = seen.get(owner) ?? 0;
        seen.set(owner, ordinal + 1);
        const template = owner.template as NonNullable<Owner['template']>;
        const name =
          owner.kind === 'StatefulSet'
            ? `${owner.name}-${ordinal}`
            : `${owner.name}-${pad(ordinal, 5)}`;
        // A few pods are Pending (unscheduled); job pods have Succeeded.
        const pending = i % 97 === 96;
        const phase = pending ? 'Pending' : owner.kind === 'Job' ? 'Succeeded' : 'Running';
        const nodeName =
          nodeNames.length && !pending ? (nodeNames[i % nodeNames.length] as string) : undefined;
        if (podNames.length < spec.warningEvents + spec.normalEvents)
          podNames.push({ namespace: owner.namespace, name });
        yield {
          metadata: {
            name,
            generateName: `${owner.name}-`,
            namespace: owner.namespace,
            uid: randomUUID(),
            creationTimestamp: CREATED,
            labels: template.labels,
            ownerReferences: [
              {
                apiVersion: owner.apiVersion,
                kind: owner.kind,
                name: owner.name,
                uid: owner.uid,
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
            managedFields: template.managed,
          },
          spec: nodeName ? { ...template.spec, nodeName } : template.spec,
          status: pending
            ? {
                phase,
                qosClass: 'Burstable',
                conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
              }
            : {
                phase,
                conditions: CONDITIONS_RUNNING,
                hostIP: `10.0.${(i >> 8) & 255}.${i & 255}`,
                podIP: `10.244.${(i >> 8) & 255}.${i & 255}`,
                podIPs: [{ ip: `10.244.${(i >> 8) & 255}.${i & 255}` }],
                startTime: CREATED,
                containerStatuses: template.statuses,
                qosClass: 'Burstable',
              },
        } satisfies KubeObject;
      }
    })(),
  );

  const events: KubeObject[] = [];
  for (let e = 0; e < spec.warningEvents + spec.normalEvents; e++) {
    const warning = e < spec.warningEvents;
    const target = podNames[e % Math.max(podNames.length, 1)] ?? {
      namespace: 'default',
      name: 'none',
    };
    events.push({
      metadata: {
        name: `${target.name}.${pad(e, 8)}`,
        namespace: target.namespace,
        uid: randomUUID(),
        creationTimestamp: CREATED,
      },
      involvedObject: {
        kind: 'Pod',
        namespace: target.namespace,
        name: target.name,
        apiVersion: 'v1',
      },
      reason: warning ? 'BackOff' : 'Pulled',
      message: warning
        ? 'Back-off restarting failed container main'
        : 'Container image already present on machine',
      source: { component: 'kubelet' },
      firstTimestamp: CREATED,
      lastTimestamp: CREATED,
      count: warning ? 3 + (e % 5) : 1,
      type: warning ? 'Warning' : 'Normal',
      reportingComponent: 'kubelet',
    });
  }
  store.load('events', events);
}
