import type { Context } from 'hono';
import type { DashboardScope } from '../../db/queries/monitoring-dashboards';
import { clusterAccess } from '../clusters/access';
import type { AppEnv } from '../env';
import { forbidden, notFound } from '../errors';
import { can, type Scope } from '../iam/authorize';
import { visibleNamespace } from '../iam/scopes';

/**
 * Where a dashboard request points and what the caller may do there. A
 * caller who may not read monitoring at that place gets 404 (as if there
 * were no dashboards), one who may read but not write gets 403 on writes.
 */
export interface DashboardPlace {
  scope: DashboardScope;
  authScope: Scope;
  clusterId: string;
  cluster: string;
  workspace: string | null;
  namespace: string | null;
  /** Namespaces every query is pinned to; undefined for cluster dashboards. */
  pinTo: string[] | undefined;
}

export type WriteVerb = 'create' | 'update' | 'delete';

function mayRead(c: Context<AppEnv>, scope: Scope): boolean {
  return can(c.get('principal'), 'get', 'monitoring', scope);
}

export function mayWrite(c: Context<AppEnv>, place: DashboardPlace, verb: WriteVerb): boolean {
  return can(c.get('principal'), verb, 'monitoring', place.authScope);
}

export function requireWrite(c: Context<AppEnv>, place: DashboardPlace, verb: WriteVerb): void {
  if (!mayWrite(c, place, verb)) throw forbidden(`You may not ${verb} dashboards here.`);
}

/** A cluster's dashboards: cluster-wide monitoring readers only. */
export async function clusterPlace(c: Context<AppEnv>, name: string): Promise<DashboardPlace> {
  const access = await clusterAccess(c.get('db'), c.get('principal'), name);
  if (!mayRead(c, access.scope)) throw notFound(`Dashboards of cluster "${name}"`);
  Object.assign(c.get('audit'), { resource: 'dashboards', cluster: name });
  return {
    scope: { kind: 'cluster', clusterId: access.cluster.id },
    authScope: access.scope,
    clusterId: access.cluster.id,
    cluster: access.cluster.name,
    workspace: null,
    namespace: null,
    pinTo: undefined,
  };
}

/** A namespace's dashboards: its members (any role that reads monitoring there). */
export async function namespacePlace(
  c: Context<AppEnv>,
  ref: { workspace: string; namespace: string; cluster?: string | undefined },
): Promise<DashboardPlace> {
  const { workspace, namespace, scope } = await visibleNamespace(
    c.get('db'),
    c.get('principal'),
    ref,
  );
  if (!mayRead(c, scope)) throw notFound(`Namespace "${ref.namespace}"`);
  Object.assign(c.get('audit'), {
    resource: 'dashboards',
    workspace: workspace.name,
    namespace: namespace.name,
    cluster: namespace.cluster,
  });
  return {
    scope: {
      kind: 'namespace',
      clusterId: namespace.clusterId,
      workspaceId: workspace.id,
      namespace: namespace.name,
    },
    authScope: scope,
    clusterId: namespace.clusterId,
    cluster: namespace.cluster,
    workspace: workspace.name,
    namespace: namespace.name,
    pinTo: [namespace.name],
  };
}
