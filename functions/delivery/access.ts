import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { findNamespaces } from '../../db/queries/namespaces';
import type { WorkspaceRow } from '../../db/queries/workspaces';
import { forbidden } from '../errors';
import { can } from '../iam/authorize';
import { namespaceScope, workspaceScope } from '../iam/scopes';

/**
 * Apps are workspace-scoped (resource `apps`), and an app lives in one
 * namespace in each of its clusters: a workspace role covers every app; a
 * namespace role (admin, operator, viewer) covers the apps in its namespace
 * when it holds in every cluster the app goes to (`clusterIds`), or in any
 * of them for reading.
 */
export async function mayOnApp(
  db: Database,
  principal: Principal,
  verb: string,
  workspace: WorkspaceRow,
  namespace: string,
  clusterIds: string[],
): Promise<boolean> {
  if (can(principal, verb, 'apps', workspaceScope(workspace.id))) return true;
  if (!principal.bindings.some((b) => b.scopeType === 'namespace' || b.scopeType === 'cluster'))
    return false;
  const allowed = (await findNamespaces(db, workspace.id, namespace)).filter((ns) =>
    can(principal, verb, 'apps', namespaceScope(ns)),
  );
  if (clusterIds.length === 0) return allowed.length > 0;
  return clusterIds.every((id) => allowed.some((ns) => ns.clusterId === id));
}

export async function authorizeApp(
  db: Database,
  principal: Principal,
  verb: string,
  workspace: WorkspaceRow,
  namespace: string,
  clusterIds: string[],
): Promise<void> {
  if (!(await mayOnApp(db, principal, verb, workspace, namespace, clusterIds)))
    throw forbidden(`You may not ${verb} apps in namespace "${namespace}" of these clusters.`);
}
