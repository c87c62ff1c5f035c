import { z } from '@hono/zod-openapi';
import { builtinRoleRules } from '../../../db/builtin-roles';
import { findCustomRole } from '../../../db/queries/roles';
import { dnsLabel } from '../names';
import { wsParam } from '../schemas';
import { visibleCluster, visibleNamespace, visibleWorkspace } from '../scopes';
import { memberRoutes } from './member-routes';

/** Workspace members: built-in workspace roles or the workspace's custom roles. */
export const workspaceMemberRoutes = memberRoutes({
  path: '/workspaces/{ws}/members',
  tag: 'workspace members',
  params: wsParam,
  resource: 'members',
  async resolve(c) {
    const db = c.get('db');
    const { workspace, scope } = await visibleWorkspace(
      db,
      c.get('principal'),
      c.req.param('ws') ?? '',
    );
    return {
      scope,
      binding: { scopeType: 'workspace', scopeId: workspace.id },
      rulesOf: async (role) =>
        builtinRoleRules('workspace', role) ??
        (await findCustomRole(db, workspace.id, role))?.rules,
    };
  },
});

/** Cluster members: cluster-admin or cluster-viewer. */
export const clusterMemberRoutes = memberRoutes({
  path: '/clusters/{c}/members',
  tag: 'cluster members',
  params: z.object({ c: dnsLabel }),
  resource: 'clustermembers',
  async resolve(c) {
    const { cluster, scope } = await visibleCluster(
      c.get('db'),
      c.get('principal'),
      c.req.param('c') ?? '',
    );
    return {
      scope,
      binding: { scopeType: 'cluster', scopeId: cluster.id },
      rulesOf: async (role) => builtinRoleRules('cluster', role),
    };
  },
});

/**
 * Project members: admin, operator or viewer of one namespace. The namespace
 * is named by workspace and name; `?cluster=` picks it when that name is
 * placed in several clusters of the workspace.
 */
export const namespaceMemberRoutes = memberRoutes({
  path: '/workspaces/{ws}/namespaces/{ns}/members',
  tag: 'project members',
  params: wsParam.extend({ ns: dnsLabel }),
  query: z.object({ cluster: dnsLabel.optional() }),
  resource: 'members',
  async resolve(c) {
    const { namespace, scope } = await visibleNamespace(c.get('db'), c.get('principal'), {
      workspace: c.req.param('ws') ?? '',
      namespace: c.req.param('ns') ?? '',
      cluster: c.req.query('cluster'),
    });
    c.get('audit').cluster = namespace.cluster;
    return {
      scope,
      binding: { scopeType: 'namespace', scopeId: namespace.id },
      rulesOf: async (role) => builtinRoleRules('namespace', role),
    };
  },
});
