/**
 * Who may read and write rules, per level (resource `alerts`, the one
 * namespace operators may already write):
 * - fleet: platform roles that hold it (platform admins);
 * - cluster: roles cluster-wide on the cluster (cluster admins write, viewers read);
 * - namespace: roles covering the namespace (admins and operators write, viewers read).
 * What the caller may not see is 404 exactly like what does not exist.
 */
import type { Context } from 'hono';
import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { namespacesOfWorkspacesIn, type RuleTarget, scopeKeys } from '../../db/queries/alert-rules';
import { type ClusterAccess, clusterAccess, requireClusterWide } from '../clusters/access';
import type { AppEnv } from '../env';
import { forbidden, notFound } from '../errors';
import { authorize, can, platformScope } from '../iam/authorize';
import { namespaceScope, visibleNamespace, workspaceScope } from '../iam/scopes';
import type { RuleLevel } from './validate';

export const RULES_RESOURCE = 'alerts';
const readVerbs = new Set(['get', 'list']);

/** A level's target as a request names it, after the rights check. */
export interface ResolvedTarget {
  level: RuleLevel;
  target: RuleTarget;
  /** The clusters its rules apply to (fleet: resolved per rule from the selector). */
  clusterIds: string[];
  cluster: string | null;
  workspace: string | null;
  namespace: string | null;
}

export async function fleetTarget(c: Context<AppEnv>, verb: string): Promise<ResolvedTarget> {
  authorize(c.get('principal'), verb, RULES_RESOURCE, platformScope, 'Fleet rules');
  return {
    level: 'fleet',
    target: {
      level: 'fleet',
      scopeKey: scopeKeys.fleet(),
      clusterId: null,
      workspaceId: null,
      namespace: null,
    },
    clusterIds: [],
    cluster: null,
    workspace: null,
    namespace: null,
  };
}

export async function clusterTarget(c: Context<AppEnv>, verb: string): Promise<ResolvedTarget> {
  const principal = c.get('principal');
  const access = await clusterAccess(c.get('db'), principal, c.req.param('c') ?? '');
  requireClusterWide(principal, access, verb, RULES_RESOURCE);
  const id = access.cluster.id;
  return {
    level: 'cluster',
    target: {
      level: 'cluster',
      scopeKey: scopeKeys.cluster(id),
      clusterId: id,
      workspaceId: null,
      namespace: null,
    },
    clusterIds: [id],
    cluster: access.cluster.name,
    workspace: null,
    namespace: null,
  };
}

export async function namespaceTarget(c: Context<AppEnv>, verb: string): Promise<ResolvedTarget> {
  const principal = c.get('principal');
  const { workspace, namespace, scope } = await visibleNamespace(c.get('db'), principal, {
    workspace: c.req.param('ws') ?? '',
    namespace: c.req.param('ns') ?? '',
    cluster: c.req.query('cluster'),
  });
  if (!can(principal, verb, RULES_RESOURCE, scope)) {
    if (readVerbs.has(verb)) throw notFound(`Namespace "${namespace.name}"`);
    throw forbidden(`You may not ${verb} alerting rules in namespace "${namespace.name}".`);
  }
  return {
    level: 'namespace',
    target: {
      level: 'namespace',
      scopeKey: scopeKeys.namespace(namespace.clusterId, namespace.name, workspace.id),
      clusterId: namespace.clusterId,
      workspaceId: workspace.id,
      namespace: namespace.name,
    },
    clusterIds: [namespace.clusterId],
    cluster: namespace.cluster,
    workspace: workspace.name,
    namespace: namespace.name,
  };
}

/**
 * The namespaces of a cluster in which the caller may `verb` `resource`:
 * undefined for cluster-wide callers (no filter), else a list (maybe empty).
 */
export async function namespacesCallerMay(
  db: Database,
  principal: Principal,
  access: ClusterAccess,
  verb: string,
  resource: string,
): Promise<string[] | undefined> {
  if (access.clusterWide && can(principal, verb, resource, access.scope)) return undefined;
  const clusterId = access.cluster.id;
  const names = new Set<string>();
  const viaWorkspace = access.tenant.workspaces
    .filter((w) => can(principal, verb, resource, workspaceScope(w.id)))
    .map((w) => w.id);
  for (const ns of await namespacesOfWorkspacesIn(db, clusterId, viaWorkspace)) names.add(ns.name);
  for (const ns of access.tenant.namespaces)
    if (can(principal, verb, resource, namespaceScope({ ...ns, clusterId }))) names.add(ns.name);
  return [...names].sort();
}
