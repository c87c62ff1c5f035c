import type { Principal } from '../../db/principal';
import type { NodeSummary } from '../../protocol/inventory';
import { parseQuantity } from '../../protocol/quantity';
import type { Env } from '../env';
import { type ExporterRead, readExporter } from './node-exporter';
import { type NodeUsageRead, readNodeUsage } from './node-usage';

/** What one node uses now; a figure the cluster cannot give is null with its reason in `missing`. */
export interface NodeFigures {
  name: string;
  edge: boolean;
  ready: boolean;
  cpu: { usedCores: number; capacityCores: number | null; ratio: number | null } | null;
  memory: { usedBytes: number; capacityBytes: number | null; ratio: number | null } | null;
  disk: { usedBytes: number; totalBytes: number; ratio: number } | null;
  network: { receiveBytesPerSecond: number; transmitBytesPerSecond: number } | null;
  missing: Partial<Record<'cpu' | 'memory' | 'disk' | 'network', string>>;
  sampledAt: string | null;
}

export interface SourceState {
  ok: boolean;
  reason: string | null;
}

export interface NodeFiguresRead {
  items: NodeFigures[];
  /** False when the cluster is disconnected and these are the last figures kept (or none). */
  live: boolean;
  collectedAt: string | null;
  sources: { metricsServer: SourceState; nodeExporter: SourceState };
}

const ratio = (used: number, total: number | null) =>
  total && total > 0 ? Math.min(1, Math.max(0, used / total)) : null;

const capacity = (text: string | undefined) => {
  const value = text === undefined ? undefined : parseQuantity(text);
  return value !== undefined && Number.isFinite(value) ? value : null;
};

function figuresOf(node: NodeSummary, usage: NodeUsageRead, exporter: ExporterRead): NodeFigures {
  const missing: NodeFigures['missing'] = {};
  let cpu: NodeFigures['cpu'] = null;
  let memory: NodeFigures['memory'] = null;
  let sampledAt: string | null = null;
  if (usage.ok) {
    const sample = usage.byNode.get(node.name);
    if (sample) {
      const cores = capacity(node.allocatable.cpu ?? node.capacity.cpu);
      const bytes = capacity(node.allocatable.memory ?? node.capacity.memory);
      cpu = {
        usedCores: sample.cpuCores,
        capacityCores: cores,
        ratio: ratio(sample.cpuCores, cores),
      };
      memory = {
        usedBytes: sample.memoryBytes,
        capacityBytes: bytes,
        ratio: ratio(sample.memoryBytes, bytes),
      };
      sampledAt = sample.timestamp;
    } else {
      missing.cpu = missing.memory = node.edge
        ? 'metrics-server has no sample of this edge node (is its kubelet reachable through cloudStream?)'
        : 'metrics-server has no sample of this node yet';
    }
  } else {
    missing.cpu = missing.memory = usage.reason;
  }
  let disk: NodeFigures['disk'] = null;
  let network: NodeFigures['network'] = null;
  if (exporter.ok) {
    const f = exporter.byNode.get(node.name);
    if (f?.diskTotal !== undefined && f.diskAvailable !== undefined && f.diskTotal > 0) {
      const used = Math.max(0, f.diskTotal - f.diskAvailable);
      disk = { usedBytes: used, totalBytes: f.diskTotal, ratio: used / f.diskTotal };
    } else
      missing.disk = exporter.has.has('diskTotal')
        ? 'node-exporter has no filesystem series for this node'
        : 'Prometheus has no node-exporter metrics (node_filesystem_size_bytes)';
    if (f?.rx !== undefined && f.tx !== undefined)
      network = { receiveBytesPerSecond: f.rx, transmitBytesPerSecond: f.tx };
    else
      missing.network = exporter.has.has('rx')
        ? 'node-exporter has no network series for this node'
        : 'Prometheus has no node-exporter metrics (node_network_receive_bytes_total)';
  } else {
    missing.disk = missing.network = exporter.reason;
  }
  return {
    name: node.name,
    edge: node.edge,
    ready: node.ready,
    cpu,
    memory,
    disk,
    network,
    missing,
    sampledAt,
  };
}

/**
 * Live figures for `nodes` (one page of the inventory): metrics.k8s.io for
 * cpu and memory, node-exporter through Prometheus for disk and network.
 * `one` reads a single node's NodeMetrics instead of the whole list.
 */
export async function readNodeFigures(
  env: Env,
  clusterId: string,
  principal: Principal,
  nodes: readonly NodeSummary[],
  one?: string,
): Promise<NodeFiguresRead> {
  const usage = await readNodeUsage(env, clusterId, principal, one);
  // A disconnected cluster answers nothing: no second round trip to learn it again.
  const exporter: ExporterRead =
    !usage.ok && usage.disconnected
      ? { ok: false, reason: usage.reason }
      : await readExporter(
          env,
          clusterId,
          nodes.map((n) => ({ name: n.name, addresses: n.addresses.map((a) => a.address) })),
        );
  return {
    items: nodes.map((node) => figuresOf(node, usage, exporter)),
    live: usage.ok || !usage.disconnected,
    collectedAt: new Date().toISOString(),
    sources: {
      metricsServer: { ok: usage.ok, reason: usage.ok ? null : usage.reason },
      nodeExporter: { ok: exporter.ok, reason: exporter.ok ? null : exporter.reason },
    },
  };
}
