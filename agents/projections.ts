import {
  EDGE_NODE_LABEL,
  type EventSummary,
  type NodeSummary,
  type ResourceList,
  WORKSPACE_LABEL,
} from '../protocol/inventory';
import type { StringPool } from './intern';
import { cpuMillicores, memoryBytes } from './quantity';

/**
 * Projections turn full API objects into the compact records the agent keeps.
 * Everything else (managedFields, specs, images, annotations) is dropped as
 * soon as a list page or watch event is parsed.
 */

type Json = Record<string, unknown>;

const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const arr = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

export interface ObjectMeta {
  name: string;
  namespace?: string;
  resourceVersion?: string;
}

export function metaOf(raw: unknown): ObjectMeta | undefined {
  const metadata = obj(obj(raw).metadata);
  const name = str(metadata.name);
  if (!name) return undefined;
  return {
    name,
    namespace: str(metadata.namespace),
    resourceVersion: str(metadata.resourceVersion),
  };
}

/** What the agent keeps per pod: inventory counts and metering need nothing more. */
export interface PodRecord {
  namespace: string;
  name: string;
  node: string;
  phase: string;
  ownerKind: string;
  ownerName: string;
  /** Sum of container requests. */
  cpuMillis: number;
  memoryBytes: number;
  /** status.startTime in unix seconds (0: not started): metering charges from then. */
  startedAt: number;
  /** Names of the PVCs the pod mounts (metering charges their requested storage). */
  pvcClaims: readonly string[];
}

/** Most pods mount no PVC: they all share this one empty list. */
const NO_CLAIMS: readonly string[] = Object.freeze([]);

function claimNames(volumes: unknown[]): readonly string[] {
  const names: string[] = [];
  for (const volume of volumes) {
    const claim = str(obj(obj(volume).persistentVolumeClaim).claimName);
    if (claim) names.push(claim);
  }
  return names.length ? names : NO_CLAIMS;
}

function unixSeconds(time: string | undefined): number {
  const ms = time ? Date.parse(time) : Number.NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : 0;
}

export function projectPod(raw: unknown, pool: StringPool): PodRecord | undefined {
  const meta = metaOf(raw);
  if (!meta?.namespace) return undefined;
  const pod = obj(raw);
  const metadata = obj(pod.metadata);
  const spec = obj(pod.spec);
  const owner = obj(
    arr(metadata.ownerReferences).find((ref) => obj(ref).controller === true) ??
      arr(metadata.ownerReferences)[0],
  );
  let cpu = 0;
  let memory = 0;
  for (const container of arr(spec.containers)) {
    const requests = obj(obj(obj(container).resources).requests);
    cpu += cpuMillicores(str(requests.cpu));
    memory += memoryBytes(str(requests.memory));
  }
  return {
    namespace: pool.intern(meta.namespace),
    name: meta.name,
    node: pool.intern(str(spec.nodeName) ?? ''),
    phase: pool.intern(str(obj(pod.status).phase) ?? 'Unknown'),
    ownerKind: pool.intern(str(owner.kind) ?? ''),
    ownerName: pool.intern(str(owner.name) ?? ''),
    cpuMillis: cpu,
    memoryBytes: memory,
    startedAt: unixSeconds(str(obj(pod.status).startTime)),
    pvcClaims: claimNames(arr(spec.volumes)),
  };
}

/** Workloads only count per namespace: keep the namespace, nothing else. */
export interface WorkloadRecord {
  namespace: string;
}

export function projectWorkload(raw: unknown, pool: StringPool): WorkloadRecord | undefined {
  const meta = metaOf(raw);
  return meta?.namespace ? { namespace: pool.intern(meta.namespace) } : undefined;
}

export interface NamespaceRecord {
  name: string;
  workspace?: string;
  phase: string;
}

export function projectNamespace(raw: unknown, pool: StringPool): NamespaceRecord | undefined {
  const meta = metaOf(raw);
  if (!meta) return undefined;
  const labels = obj(obj(obj(raw).metadata).labels);
  const workspace = str(labels[WORKSPACE_LABEL]);
  return {
    name: meta.name,
    ...(workspace ? { workspace: pool.intern(workspace) } : {}),
    phase: pool.intern(str(obj(obj(raw).status).phase) ?? 'Active'),
  };
}

function resources(raw: unknown): ResourceList {
  const list = obj(raw);
  const out: ResourceList = {};
  for (const key of ['cpu', 'memory', 'pods'] as const) {
    const value = str(list[key]);
    if (value) out[key] = value;
  }
  return out;
}

const ROLE_PREFIX = 'node-role.kubernetes.io/';

export function projectNode(raw: unknown, pool: StringPool): NodeSummary | undefined {
  const meta = metaOf(raw);
  if (!meta) return undefined;
  const node = obj(raw);
  const labels = obj(obj(node.metadata).labels);
  const status = obj(node.status);
  const ready = obj(arr(status.conditions).find((c) => obj(c).type === 'Ready'));
  const roles = Object.keys(labels)
    .filter((key) => key.startsWith(ROLE_PREFIX) && key.length > ROLE_PREFIX.length)
    .map((key) => pool.intern(key.slice(ROLE_PREFIX.length)))
    .sort();
  const summary: NodeSummary = {
    name: meta.name,
    ready: ready.status === 'True',
    edge: EDGE_NODE_LABEL in labels,
    roles,
    kubeletVersion: pool.intern(str(obj(status.nodeInfo).kubeletVersion) ?? ''),
    capacity: resources(status.capacity),
    allocatable: resources(status.allocatable),
    addresses: arr(status.addresses).map((a) => ({
      type: pool.intern(str(obj(a).type) ?? ''),
      address: str(obj(a).address) ?? '',
    })),
    unschedulable: obj(node.spec).unschedulable === true,
  };
  const transition = str(ready.lastTransitionTime);
  if (transition) summary.lastTransition = transition;
  return summary;
}

export function projectWarningEvent(raw: unknown, pool: StringPool): EventSummary | undefined {
  const meta = metaOf(raw);
  const event = obj(raw);
  if (!meta?.namespace || event.type !== 'Warning') return undefined;
  const involved = obj(event.involvedObject);
  const involvedNamespace = str(involved.namespace);
  const series = obj(event.series);
  const last = str(event.lastTimestamp) ?? str(series.lastObservedTime) ?? str(event.eventTime);
  const count =
    typeof event.count === 'number'
      ? event.count
      : typeof series.count === 'number'
        ? series.count
        : 1;
  return {
    key: `${meta.namespace}/${meta.name}`,
    namespace: pool.intern(meta.namespace),
    reason: pool.intern(str(event.reason) ?? ''),
    message: (str(event.message) ?? '').slice(0, 1024),
    involvedObject: {
      kind: pool.intern(str(involved.kind) ?? ''),
      name: str(involved.name) ?? '',
      ...(involvedNamespace ? { namespace: pool.intern(involvedNamespace) } : {}),
    },
    count,
    ...(last ? { lastTimestamp: last } : {}),
  };
}
