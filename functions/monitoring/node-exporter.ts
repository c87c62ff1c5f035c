import { quotePromqlString } from '../../lib/promql';
import type { Env } from '../env';
import { type PromRange, type PromSample, prometheusGet } from './prometheus-call';

/** Filesystems and interfaces that are not the node's own disk and network. */
const ROOT_FS = 'mountpoint="/",fstype!~"tmpfs|overlay|squashfs|ramfs"';
const PHYSICAL_NICS =
  'device!~"lo|veth.*|docker.*|cni.*|flannel.*|cali.*|cilium.*|vxlan.*|tunl.*|kube-ipvs.*|edgemesh.*"';

export const exporterQueries = {
  diskTotal: `sum by (instance, node) (node_filesystem_size_bytes{${ROOT_FS}})`,
  diskAvailable: `sum by (instance, node) (node_filesystem_avail_bytes{${ROOT_FS}})`,
  rx: `sum by (instance, node) (rate(node_network_receive_bytes_total{${PHYSICAL_NICS}}[5m]))`,
  tx: `sum by (instance, node) (rate(node_network_transmit_bytes_total{${PHYSICAL_NICS}}[5m]))`,
} as const;
type ExporterQuery = keyof typeof exporterQueries;

/** A node as node-exporter series may name it: its name, or an address in `instance`. */
export interface NodeIdentity {
  name: string;
  addresses: string[];
}

/**
 * Which node a series belongs to: its `node` label (kube-prometheus adds
 * it), else `instance` without its port when that is the node's name (as
 * kube-prometheus relabels it) or one of its addresses.
 */
export function nodeOfSeries(
  metric: Record<string, string>,
  byKey: ReadonlyMap<string, string>,
): string | undefined {
  if (metric.node && byKey.has(metric.node)) return byKey.get(metric.node);
  const instance = metric.instance;
  if (!instance) return undefined;
  const host = instance.startsWith('[')
    ? instance.slice(1, instance.indexOf(']'))
    : instance.replace(/:\d+$/, '');
  return byKey.get(host) ?? byKey.get(instance);
}

export function identityIndex(nodes: readonly NodeIdentity[]): Map<string, string> {
  const byKey = new Map<string, string>();
  for (const node of nodes) {
    for (const address of node.addresses) if (!byKey.has(address)) byKey.set(address, node.name);
    byKey.set(node.name, node.name);
  }
  return byKey;
}

export interface ExporterFigures {
  diskTotal?: number;
  diskAvailable?: number;
  rx?: number;
  tx?: number;
}

export type ExporterRead =
  | { ok: true; byNode: Map<string, ExporterFigures>; has: Set<ExporterQuery> }
  | { ok: false; reason: string };

function promReason(code: string, message: string): string {
  if (code === 'cluster_unreachable') return 'the cluster is disconnected';
  if (code === 'bad_target' || /prometheus-url/.test(message))
    return 'the agent runs without --prometheus-url';
  return `Prometheus did not answer: ${message}`;
}

/** node-exporter's disk and network figures for `nodes`, one instant query each. */
export async function readExporter(
  env: Env,
  clusterId: string,
  nodes: readonly NodeIdentity[],
): Promise<ExporterRead> {
  const byKey = identityIndex(nodes);
  const names = Object.keys(exporterQueries) as ExporterQuery[];
  const answers = await Promise.all(
    names.map((key) =>
      prometheusGet<{ result?: PromSample[] }>(env, clusterId, 'query', {
        query: exporterQueries[key],
      }),
    ),
  );
  const failed = answers.find((a) => !a.ok);
  if (failed && !failed.ok) return { ok: false, reason: promReason(failed.code, failed.message) };
  const byNode = new Map<string, ExporterFigures>();
  const has = new Set<ExporterQuery>();
  answers.forEach((answer, i) => {
    if (!answer.ok) return;
    const key = names[i] as ExporterQuery;
    for (const series of answer.data.result ?? []) {
      has.add(key);
      const node = nodeOfSeries(series.metric ?? {}, byKey);
      const value = Number(series.value?.[1]);
      if (!node || !Number.isFinite(value)) continue;
      const figures = byNode.get(node) ?? {};
      figures[key] = (figures[key] ?? 0) + value;
      byNode.set(node, figures);
    }
  });
  return { ok: true, byNode, has };
}

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A series selector for one node, by `node` label or by `instance`; joined with `or`. */
function perNode(node: NodeIdentity, expr: (matcher: string) => string): string {
  const hosts = [node.name, ...node.addresses].map(escapeRegex).join('|');
  const byInstance = `instance=~${quotePromqlString(`(?:${hosts})(?::[0-9]+)?|\\[(?:${hosts})\\]:[0-9]+`)}`;
  const byNode = `node=${quotePromqlString(node.name)}`;
  return `(${expr(byNode)}) or (${expr(byInstance)})`;
}

export const historyQueries = {
  cpu: (node: NodeIdentity) =>
    perNode(node, (m) => `1 - avg(rate(node_cpu_seconds_total{mode="idle",${m}}[5m]))`),
  memory: (node: NodeIdentity) =>
    perNode(
      node,
      (m) =>
        `1 - sum(node_memory_MemAvailable_bytes{${m}}) / sum(node_memory_MemTotal_bytes{${m}})`,
    ),
};

export type HistoryRead =
  | { ok: true; cpu: [number, number][]; memory: [number, number][] }
  | { ok: false; reason: string };

const pointsOf = (result: PromRange[] | undefined): [number, number][] =>
  (result?.[0]?.values ?? [])
    .map(([t, v]) => [Number(t), Number(v)] as [number, number])
    .filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));

/** The last `seconds` of cpu and memory use (ratios 0–1) of one node, from node-exporter. */
export async function readHistory(
  env: Env,
  clusterId: string,
  node: NodeIdentity,
  seconds: number,
  now = Date.now(),
): Promise<HistoryRead> {
  const end = Math.floor(now / 1000);
  const params = (query: string) => ({
    query,
    start: String(end - seconds),
    end: String(end),
    step: String(Math.max(15, Math.round(seconds / 60))),
  });
  const [cpu, memory] = await Promise.all([
    prometheusGet<{ result?: PromRange[] }>(
      env,
      clusterId,
      'query_range',
      params(historyQueries.cpu(node)),
    ),
    prometheusGet<{ result?: PromRange[] }>(
      env,
      clusterId,
      'query_range',
      params(historyQueries.memory(node)),
    ),
  ]);
  if (!cpu.ok) return { ok: false, reason: promReason(cpu.code, cpu.message) };
  if (!memory.ok) return { ok: false, reason: promReason(memory.code, memory.message) };
  const cpuPoints = pointsOf(cpu.data.result);
  const memoryPoints = pointsOf(memory.data.result);
  if (cpuPoints.length === 0 && memoryPoints.length === 0)
    return { ok: false, reason: 'Prometheus has no node-exporter history for this node' };
  return { ok: true, cpu: cpuPoints, memory: memoryPoints };
}
