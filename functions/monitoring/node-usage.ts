import type { Principal } from '../../db/principal';
import { parseQuantity } from '../../protocol/quantity';
import type { Env } from '../env';
import { kubeRead } from './kube-read';

/** One node's cpu (cores) and memory (bytes) now, as metrics-server measured them. */
export interface NodeUsageSample {
  cpuCores: number;
  memoryBytes: number;
  timestamp: string | null;
}

export type NodeUsageRead =
  | { ok: true; byNode: Map<string, NodeUsageSample> }
  | { ok: false; reason: string; disconnected: boolean };

interface NodeMetricsItem {
  metadata?: { name?: string };
  timestamp?: string;
  usage?: { cpu?: string; memory?: string };
}

const NODES_PATH = '/apis/metrics.k8s.io/v1beta1/nodes';

/** Why metrics.k8s.io gave nothing, in words an operator can act on. */
function reasonFor(status: number, code: string, message: string): string {
  if (code === 'cluster_unreachable' || (status === 503 && code !== 'kube_error'))
    return 'the cluster is disconnected';
  if (status === 404)
    return 'metrics.k8s.io is not served: metrics-server is not installed in the cluster';
  if (status === 403)
    return 'the cluster refused metrics.k8s.io to the edge: re-apply the agent manifest (ClusterRole edgetower-node-metrics)';
  if (status === 503) return `metrics-server is unavailable: ${message}`;
  return `metrics.k8s.io failed: ${message}`;
}

function sampleOf(item: NodeMetricsItem): NodeUsageSample | undefined {
  const cpu = item.usage?.cpu === undefined ? undefined : parseQuantity(item.usage.cpu);
  const memory = item.usage?.memory === undefined ? undefined : parseQuantity(item.usage.memory);
  if (cpu === undefined || memory === undefined || !Number.isFinite(cpu + memory)) return undefined;
  return { cpuCores: cpu, memoryBytes: memory, timestamp: item.timestamp ?? null };
}

/** metrics.k8s.io NodeMetrics: every node (`name` undefined) or one. */
export async function readNodeUsage(
  env: Env,
  clusterId: string,
  principal: Principal,
  name?: string,
): Promise<NodeUsageRead> {
  const path = name === undefined ? NODES_PATH : `${NODES_PATH}/${encodeURIComponent(name)}`;
  const read = await kubeRead<NodeMetricsItem & { items?: NodeMetricsItem[] }>(
    env,
    clusterId,
    principal,
    path,
  );
  if (!read.ok) {
    // One node metrics-server has no sample for yet is a 404 of that node, not of the API.
    if (name !== undefined && read.status === 404 && /not found/i.test(read.message))
      return { ok: true, byNode: new Map() };
    return {
      ok: false,
      reason: reasonFor(read.status, read.code, read.message),
      disconnected: read.code === 'cluster_unreachable',
    };
  }
  const items = name === undefined ? (read.body.items ?? []) : [read.body];
  const byNode = new Map<string, NodeUsageSample>();
  for (const item of items) {
    const sample = sampleOf(item);
    if (item.metadata?.name && sample) byNode.set(item.metadata.name, sample);
  }
  return { ok: true, byNode };
}
