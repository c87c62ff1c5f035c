import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { type ClusterRow, findClusterByName } from '../../db/queries/members';
import {
  findNamespaces,
  hasNamespaceBindingIn,
  type NamespaceRow,
} from '../../db/queries/namespaces';
import { findWorkspace, type WorkspaceRow } from '../../db/queries/workspaces';
import { badRequest, notFound } from '../errors';
import { canSee, type Scope } from './authorize';

export const workspaceScope = (workspaceId: string): Scope => ({ level: 'workspace', workspaceId });
export const clusterScope = (clusterId: string): Scope => ({ level: 'cluster', clusterId });
export const namespaceScope = (ns: {
  id: string;
  workspaceId: string;
  clusterId: string;
}): Scope => ({
  level: 'namespace',
  namespaceId: ns.id,
  workspaceId: ns.workspaceId,
  clusterId: ns.clusterId,
});

async function workspaceVisible(db: Database, principal: Principal, ws: WorkspaceRow) {
  return (
    canSee(principal, workspaceScope(ws.id)) ||
    (principal.bindings.some((b) => b.scopeType === 'namespace') &&
      hasNamespaceBindingIn(db, ws.id, principal.userId))
  );
}

/**
 * The workspace `name` if the caller may know it exists: through a role in
 * it, a role in one of its namespaces, or a platform role. Otherwise 404,
 * exactly as for a workspace that does not exist.
 */
export async function visibleWorkspace(
  db: Database,
  principal: Principal,
  name: string,
): Promise<{ workspace: WorkspaceRow; scope: Scope }> {
  const workspace = await findWorkspace(db, name);
  if (!workspace || !(await workspaceVisible(db, principal, workspace)))
    throw notFound(`Workspace "${name}"`);
  return { workspace, scope: workspaceScope(workspace.id) };
}

export async function visibleCluster(
  db: Database,
  principal: Principal,
  name: string,
): Promise<{ cluster: ClusterRow; scope: Scope }> {
  const cluster = await findClusterByName(db, name);
  if (!cluster || !canSee(principal, clusterScope(cluster.id))) throw notFound(`Cluster "${name}"`);
  return { cluster, scope: clusterScope(cluster.id) };
}

/**
 * A namespace is named by workspace and name; `?cluster=` picks one when the
 * workspace has namespaces of that name in several clusters. Namespaces the
 * caller cannot see are 404, and so is their workspace unless it is visible.
 */
export async function visibleNamespace(
  db: Database,
  principal: Principal,
  ref: { workspace: string; namespace: string; cluster?: string | undefined },
): Promise<{ workspace: WorkspaceRow; namespace: NamespaceRow; scope: Scope }> {
  const workspace = await findWorkspace(db, ref.workspace);
  if (!workspace) throw notFound(`Workspace "${ref.workspace}"`);
  const candidates = (await findNamespaces(db, workspace.id, ref.namespace)).filter(
    (ns) =>
      (ref.cluster === undefined || ns.cluster === ref.cluster) &&
      canSee(principal, namespaceScope(ns)),
  );
  const [namespace, ...others] = candidates;
  if (!namespace) {
    if (!(await workspaceVisible(db, principal, workspace)))
      throw notFound(`Workspace "${ref.workspace}"`);
    throw notFound(`Namespace "${ref.namespace}"`);
  }
  if (others.length > 0)
    throw badRequest(
      `Namespace "${ref.namespace}" exists in several clusters of this workspace: add ?cluster=<name>.`,
    );
  return { workspace, namespace, scope: namespaceScope(namespace) };
}
