import type { RoleProjection } from '../../functions/projection/frames';
import { desiredBinding, desiredRole, type RbacRecord, recordKey } from './objects';

/** What the agent knows of a namespace (the inventory's namespace informer record). */
export interface NamespaceView {
  name: string;
  /** The `kubesphere.io/workspace` label. */
  workspace?: string;
  phase: string;
}

/**
 * Namespaces edgetower never projects into, whatever their labels say:
 * the cluster's own (`kube-*`, `default`) and edgetower's (`edgetower-*`,
 * the agent's namespace). A tenant must not gain rights where the
 * control plane and the agent themselves live.
 */
export function isReservedNamespace(name: string, agentNamespace?: string): boolean {
  return (
    name === 'default' ||
    name.startsWith('kube-') ||
    name.startsWith('edgetower') ||
    name === agentNamespace
  );
}

/**
 * Expands a projection into the RoleBindings and Roles the cluster should
 * hold, keyed by `Kind/namespace/name`:
 * - workspace bindings go into every namespace whose workspace label names
 *   the workspace (namespaces created outside the API included);
 * - namespace bindings go into their namespace only while it exists and its
 *   label names the same workspace (the cluster's label has the last word: a
 *   namespace relabelled to another workspace loses this one's bindings);
 * - terminating and reserved namespaces get nothing.
 */
export function desiredRecords(
  projection: RoleProjection,
  namespaces: Iterable<NamespaceView>,
  agentNamespace?: string,
): Map<string, RbacRecord> {
  const byWorkspace = new Map<string, string[]>();
  const labelOf = new Map<string, string>();
  for (const ns of namespaces) {
    if (!ns.workspace || ns.phase === 'Terminating' || isReservedNamespace(ns.name, agentNamespace))
      continue;
    labelOf.set(ns.name, ns.workspace);
    const list = byWorkspace.get(ns.workspace) ?? [];
    list.push(ns.name);
    byWorkspace.set(ns.workspace, list);
  }
  const out = new Map<string, RbacRecord>();
  const add = (record: RbacRecord) =>
    out.set(recordKey(record.kind, record.namespace, record.name), record);
  for (const entry of projection.workspaces) {
    const source = `workspace/${entry.workspace}`;
    for (const namespace of byWorkspace.get(entry.workspace) ?? [])
      for (const binding of entry.bindings) add(desiredBinding(namespace, binding, source));
  }
  for (const entry of projection.namespaces) {
    if (labelOf.get(entry.namespace) !== entry.workspace) continue;
    const source = `namespace/${entry.workspace}/${entry.namespace}`;
    for (const role of entry.roles) add(desiredRole(entry.namespace, role));
    for (const binding of entry.bindings) {
      const record = desiredBinding(entry.namespace, binding, source);
      // Reached at workspace and namespace level: one object (the workspace's source wins, stably).
      const key = recordKey(record.kind, record.namespace, record.name);
      if (!out.has(key)) out.set(key, record);
    }
  }
  return out;
}
