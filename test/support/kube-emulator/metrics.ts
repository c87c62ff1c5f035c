import { cpuMillis, formatCpu, formatMemory, memoryBytes } from './quantity';
import type { KubeStore, Usage } from './store';
import type { KubeObject } from './types';

/** metrics.k8s.io/v1beta1 from the store: usage set by tests, else each pod uses its requests. */

interface Container {
  name: string;
  resources?: { requests?: { cpu?: string; memory?: string } };
}

function containersOf(pod: KubeObject): Container[] {
  const spec = pod.spec as { containers?: Container[] } | undefined;
  return spec?.containers ?? [];
}

export function podUsageMillisBytes(
  store: KubeStore,
  pod: KubeObject,
): { cpu: number; memory: number; perContainer: { name: string; cpu: number; memory: number }[] } {
  const set = store.podUsage.get(`${pod.metadata.namespace}/${pod.metadata.name}`);
  const containers = containersOf(pod);
  if (set) {
    const cpu = cpuMillis(set.cpu);
    const memory = memoryBytes(set.memory);
    // Split evenly over containers: tests set pod totals.
    const n = Math.max(containers.length, 1);
    const names = containers.length ? containers.map((c) => c.name) : ['main'];
    return {
      cpu,
      memory,
      perContainer: names.map((name) => ({ name, cpu: cpu / n, memory: memory / n })),
    };
  }
  const perContainer = containers.map((c) => ({
    name: c.name,
    cpu: cpuMillis(c.resources?.requests?.cpu),
    memory: memoryBytes(c.resources?.requests?.memory),
  }));
  return {
    cpu: perContainer.reduce((sum, c) => sum + c.cpu, 0),
    memory: perContainer.reduce((sum, c) => sum + c.memory, 0),
    perContainer,
  };
}

function isRunning(pod: KubeObject): boolean {
  return (pod.status as { phase?: string } | undefined)?.phase === 'Running';
}

export function podMetrics(store: KubeStore, pod: KubeObject): unknown {
  const usage = podUsageMillisBytes(store, pod);
  return {
    kind: 'PodMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {
      name: pod.metadata.name,
      namespace: pod.metadata.namespace,
      creationTimestamp: store.now().toISOString(),
    },
    timestamp: store.now().toISOString(),
    window: '15s',
    containers: usage.perContainer.map((c) => ({
      name: c.name,
      usage: { cpu: formatCpu(c.cpu), memory: formatMemory(c.memory) },
    })),
  };
}

/**
 * Paged like metrics-server behind the aggregator: `limit`, and `continue`
 * as an opaque token (the last pod key served), so each page costs its own
 * size even at 150,000 pods.
 */
export function podMetricsList(
  store: KubeStore,
  namespace: string | undefined,
  page: { limit?: number; continue?: string } = {},
): unknown {
  const after = page.continue ? Buffer.from(page.continue, 'base64url').toString() : undefined;
  const keys = store.keysFrom('pods', namespace, after);
  const items: unknown[] = [];
  let index = 0;
  for (; index < keys.length; index++) {
    if (page.limit && items.length >= page.limit) break;
    const pod = store.objectAt('pods', keys[index] as string);
    if (pod && isRunning(pod)) items.push(podMetrics(store, pod));
  }
  const last = keys[index - 1];
  const next = index < keys.length && last ? Buffer.from(last).toString('base64url') : undefined;
  return {
    kind: 'PodMetricsList',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: next ? { continue: next } : {},
    items,
  };
}

function nodeUsage(
  store: KubeStore,
  name: string,
  podTotals: Map<string, { cpu: number; memory: number }>,
): Usage {
  const set = store.nodeUsage.get(name);
  if (set) return set;
  const total = podTotals.get(name) ?? { cpu: 0, memory: 0 };
  return { cpu: formatCpu(total.cpu), memory: formatMemory(total.memory) };
}

function podTotalsByNode(store: KubeStore): Map<string, { cpu: number; memory: number }> {
  const totals = new Map<string, { cpu: number; memory: number }>();
  for (const pod of store.list('pods')) {
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (!node || !isRunning(pod)) continue;
    const usage = podUsageMillisBytes(store, pod);
    const sum = totals.get(node) ?? { cpu: 0, memory: 0 };
    sum.cpu += usage.cpu;
    sum.memory += usage.memory;
    totals.set(node, sum);
  }
  return totals;
}

export function nodeMetricsList(
  store: KubeStore,
  onlyName?: string,
): { kind: string; items: unknown[] } & Record<string, unknown> {
  const totals = podTotalsByNode(store);
  const nodes = store
    .list('nodes')
    .filter((n) => onlyName === undefined || n.metadata.name === onlyName);
  return {
    kind: 'NodeMetricsList',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {},
    items: nodes.map((node) => ({
      kind: 'NodeMetrics',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: { name: node.metadata.name, creationTimestamp: store.now().toISOString() },
      timestamp: store.now().toISOString(),
      window: '15s',
      usage: nodeUsage(store, node.metadata.name, totals),
    })),
  };
}
