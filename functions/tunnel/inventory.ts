/**
 * Cluster inventory shapes shared by the agent (which builds them) and the
 * edge (which stores and serves them). Pure types and tiny helpers: no Node
 * or Workers imports, so both runtimes can import this module.
 */

/** The Kubernetes label KubeEdge puts on edge nodes. */
export const EDGE_NODE_LABEL = 'node-role.kubernetes.io/edge';
/** The label that places a namespace in a KubeSphere / edgetower workspace. */
export const WORKSPACE_LABEL = 'kubesphere.io/workspace';

export interface ClusterInfo {
  /** gitVersion from `/version`, e.g. "v1.30.2". */
  kubernetesVersion: string;
  /** `platform` from `/version`, e.g. "linux/amd64". */
  platform: string;
}

/** cpu / memory / pods as Kubernetes quantity strings ("4", "16Gi", "110"). */
export interface ResourceList {
  cpu?: string;
  memory?: string;
  pods?: string;
}

export interface NodeAddress {
  /** InternalIP, ExternalIP, Hostname, ... */
  type: string;
  address: string;
}

export interface NodeSummary {
  name: string;
  /** Condition Ready == True. */
  ready: boolean;
  /** Carries the `node-role.kubernetes.io/edge` label. */
  edge: boolean;
  /** From `node-role.kubernetes.io/<role>` labels, sorted. */
  roles: string[];
  kubeletVersion: string;
  capacity: ResourceList;
  allocatable: ResourceList;
  addresses: NodeAddress[];
  unschedulable: boolean;
  /** lastTransitionTime of the Ready condition (RFC 3339), when known. */
  lastTransition?: string;
}

export interface WorkloadCounts {
  deployments: number;
  statefulsets: number;
  daemonsets: number;
  jobs: number;
  cronjobs: number;
  pods: number;
}

export interface NamespaceSummary {
  name: string;
  /** Value of the `kubesphere.io/workspace` label, when present. */
  workspace?: string;
  /** Active | Terminating. */
  phase: string;
  workloads: WorkloadCounts;
}

export interface InvolvedObjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

/** A Warning event (Normal events are not pushed). */
export interface EventSummary {
  /** `<namespace>/<name>` of the Event object: stable key for deltas. */
  key: string;
  namespace: string;
  reason: string;
  message: string;
  involvedObject: InvolvedObjectRef;
  count: number;
  /** RFC 3339 of the last occurrence, when known. */
  lastTimestamp?: string;
}

export interface InventorySnapshot {
  type: 'snapshot';
  /** Monotonic per agent process; a snapshot restarts nothing, deltas follow it. */
  seq: number;
  cluster: ClusterInfo;
  nodes: NodeSummary[];
  namespaces: NamespaceSummary[];
  events: EventSummary[];
}

export interface InventoryChanges<T> {
  upserts: T[];
  /** Keys: node name, namespace name, event key. */
  deletes: string[];
}

export interface InventoryDelta {
  type: 'delta';
  /** Always the previous update's seq + 1; a gap means the edge should ask for a snapshot. */
  seq: number;
  cluster?: ClusterInfo;
  nodes?: InventoryChanges<NodeSummary>;
  namespaces?: InventoryChanges<NamespaceSummary>;
  events?: InventoryChanges<EventSummary>;
}

export type InventoryUpdate = InventorySnapshot | InventoryDelta;

export function emptyWorkloadCounts(): WorkloadCounts {
  return { deployments: 0, statefulsets: 0, daemonsets: 0, jobs: 0, cronjobs: 0, pods: 0 };
}

/**
 * A resource the agent could not read (not served by this cluster, RBAC
 * forbids it, the API server is unreachable): skipped and retried, while
 * everything else flows. `resource` is kubectl's name ("cronjobs.batch").
 */
export interface DegradedResource {
  resource: string;
  reason: string;
}

/** Bounds on one agent's degraded list (a status frame stays small). */
export const MAX_DEGRADED_RESOURCES = 64;
export const MAX_DEGRADED_REASON = 512;
