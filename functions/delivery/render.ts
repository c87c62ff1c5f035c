import type { KubeObject } from '../../protocol/delivery';
import { ApiError } from '../errors';
import { applyPatch, PatchError } from './json-patch';
import type { AppOverride, Nodes } from './schemas';

/** The KubeEdge node label and taint (keadm join sets both on edge nodes). */
export const EDGE_NODE_LABEL = 'node-role.kubernetes.io/edge';

export interface ClusterRef {
  name: string;
  labels: Record<string, string>;
}

type Json = Record<string, unknown>;
const asObject = (value: unknown): Json | undefined =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
const child = (parent: Json, key: string): Json => {
  const existing = asObject(parent[key]);
  if (existing) return existing;
  const made: Json = {};
  parent[key] = made;
  return made;
};

/** The pod spec inside a workload, where node placement and images live. */
function podSpecOf(object: KubeObject): Json | undefined {
  const spec = asObject((object as Json).spec);
  if (!spec) return undefined;
  switch (object.kind) {
    case 'Pod':
      return spec;
    case 'Deployment':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'ReplicaSet':
    case 'Job':
      return asObject(asObject(spec.template)?.spec);
    case 'CronJob':
      return asObject(asObject(asObject(asObject(spec.jobTemplate)?.spec)?.template)?.spec);
    default:
      return undefined;
  }
}

const scalable = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

/** Pods go to edge nodes (select and tolerate them) or avoid them; `any` leaves them be. */
function placeOnNodes(pod: Json, nodes: Nodes): void {
  if (nodes === 'edge') {
    child(pod, 'nodeSelector')[EDGE_NODE_LABEL] = '';
    const tolerations = Array.isArray(pod.tolerations) ? (pod.tolerations as Json[]) : [];
    if (!tolerations.some((t) => t.key === EDGE_NODE_LABEL))
      tolerations.push({ key: EDGE_NODE_LABEL, operator: 'Exists', effect: 'NoSchedule' });
    pod.tolerations = tolerations;
  } else if (nodes === 'cloud') {
    const required = child(
      child(child(pod, 'affinity'), 'nodeAffinity'),
      'requiredDuringSchedulingIgnoredDuringExecution',
    );
    const avoidEdge = { key: EDGE_NODE_LABEL, operator: 'DoesNotExist' };
    const terms = Array.isArray(required.nodeSelectorTerms)
      ? (required.nodeSelectorTerms as Json[])
      : [];
    // Terms are ORed: every one of them must avoid edge nodes.
    if (terms.length === 0) terms.push({});
    for (const term of terms) {
      const expressions = Array.isArray(term.matchExpressions)
        ? (term.matchExpressions as Json[])
        : [];
      expressions.push(avoidEdge);
      term.matchExpressions = expressions;
    }
    required.nodeSelectorTerms = terms;
  }
}

function setImages(pod: Json, images: Record<string, string>): void {
  for (const list of ['initContainers', 'containers'] as const) {
    const containers = Array.isArray(pod[list]) ? (pod[list] as Json[]) : [];
    for (const container of containers) {
      const image = typeof container.name === 'string' ? images[container.name] : undefined;
      if (image !== undefined) container.image = image;
    }
  }
}

/** Whether an override (or an app's placement) names `cluster`. */
export function selects(
  target: {
    clusters?: string[] | undefined;
    clusterSelector?: { matchLabels: Record<string, string> } | undefined;
  },
  cluster: ClusterRef,
): boolean {
  if (target.clusters) return target.clusters.includes(cluster.name);
  const wanted = target.clusterSelector?.matchLabels ?? {};
  return Object.entries(wanted).every(([key, value]) => cluster.labels[key] === value);
}

const patchFailed = (index: number, message: string) =>
  new ApiError(400, `overrides[${index}]: ${message}`, {
    code: 'invalid_override',
    fields: [{ path: `overrides[${index}]`, message }],
  });

/**
 * The manifests as `cluster` gets them: node placement on every pod
 * template, then each override that selects the cluster, in order
 * (replicas, images by container name, JSON patches on the object of that
 * kind and name). A patch that does not apply is a 400 naming the override.
 */
export function renderForCluster(
  manifests: KubeObject[],
  options: { nodes: Nodes; overrides: AppOverride[] },
  cluster: ClusterRef,
): KubeObject[] {
  let objects = structuredClone(manifests);
  for (const object of objects) {
    const pod = podSpecOf(object);
    if (pod) placeOnNodes(pod, options.nodes);
  }
  options.overrides.forEach((override, index) => {
    if (!selects(override, cluster)) return;
    for (const object of objects) {
      if (override.replicas !== undefined && scalable.has(object.kind))
        child(object as Json, 'spec').replicas = override.replicas;
      const pod = override.images ? podSpecOf(object) : undefined;
      if (pod && override.images) setImages(pod, override.images);
    }
    for (const patch of override.patches ?? []) {
      const at = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.name);
      const target = objects[at];
      if (!target) throw patchFailed(index, `no ${patch.kind} "${patch.name}" in the manifests`);
      try {
        const patched = applyPatch(target, [patch]);
        if (
          patched.kind !== target.kind ||
          patched.metadata?.name !== target.metadata.name ||
          patched.metadata?.namespace !== target.metadata.namespace
        )
          throw new PatchError('a patch may not change kind, metadata.name or metadata.namespace');
        objects = objects.map((o, i) => (i === at ? patched : o));
      } catch (error) {
        if (error instanceof PatchError) throw patchFailed(index, error.message);
        throw error;
      }
    }
  });
  return objects;
}
