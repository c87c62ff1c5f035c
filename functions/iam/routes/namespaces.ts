import { createRoute, z } from '@hono/zod-openapi';
import {
  createNamespace,
  deleteNamespace,
  listNamespaces,
  type NamespaceRow,
  namespaceKey,
  placementInCluster,
} from '../../../db/queries/namespaces';
import { grantedClusterByName } from '../../../db/queries/workspace-clusters';
import { badRequest, conflict } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { authorize, can } from '../authorize';
import { orConflict } from '../conflicts';
import { dnsLabel, isReservedNamespace, newName } from '../names';
import { type NamespaceApply, namespaceHooks, placementRefused } from '../namespace-hooks';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import {
  errors,
  json,
  jsonBody,
  namespaceSchema,
  noContent,
  writeErrors,
  wsParam,
} from '../schemas';
import { clusterScope, visibleNamespace, visibleWorkspace } from '../scopes';

const tags = ['namespaces'];
const nsParams = wsParam.extend({ ns: dnsLabel });
const clusterQuery = z.object({
  cluster: dnsLabel
    .optional()
    .openapi({ description: 'The cluster, when the name is placed in several clusters.' }),
});

const view = (workspace: string) => (ns: NamespaceRow) => ({
  name: ns.name,
  cluster: ns.cluster,
  workspace,
  createdBy: ns.createdBy,
  createdAt: ns.createdAt.toISOString(),
});

const list = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/namespaces',
  tags,
  security: bearerAuth,
  summary: "List a workspace's namespaces (projects) the caller may see",
  request: { params: wsParam, query: pageQuery },
  responses: { 200: json(listOf(namespaceSchema), 'One page by name, then cluster.'), ...errors },
});
const get = createRoute({
  method: 'get',
  path: '/workspaces/{ws}/namespaces/{ns}',
  tags,
  security: bearerAuth,
  summary: 'Get a namespace placement',
  request: { params: nsParams, query: clusterQuery },
  responses: { 200: json(namespaceSchema, 'The namespace.'), ...errors },
});
const create = createRoute({
  method: 'post',
  path: '/workspaces/{ws}/namespaces',
  tags,
  security: bearerAuth,
  summary: 'Place a namespace of a cluster in the workspace',
  description:
    'Only in a cluster granted to the workspace (400 `cluster_not_granted`, the same whether the cluster exists or not). Never a takeover: reserved names (`default`, `kube-*`, `kubeedge`, `kubesphere-*`, `edgetower-*`) are 409 `namespace_reserved`, a namespace of another workspace (placed at the edge, or labelled in the cluster) 409 `namespace_owned_by_other_workspace`, an existing unlabelled one 409 `namespace_exists` unless the caller is a platform or cluster admin (who adopts it). A caller without workspace-wide member management (a self-provisioner) becomes the namespace admin.',
  request: {
    params: wsParam,
    body: jsonBody(z.strictObject({ cluster: dnsLabel, name: dnsLabel })),
  },
  responses: { 201: json(namespaceSchema, 'The placement.'), ...writeErrors },
});
const remove = createRoute({
  method: 'delete',
  path: '/workspaces/{ws}/namespaces/{ns}',
  tags,
  security: bearerAuth,
  summary: 'Remove a namespace placement and its role bindings',
  request: { params: nsParams, query: clusterQuery },
  responses: { ...noContent, ...errors },
});

export const namespaceRoutes = createRouter()
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    const page = toPage(c.req.valid('query'));
    const visible = can(principal, 'list', 'namespaces', scope) ? undefined : principal.userId;
    const rows = await listNamespaces(db, workspace.id, page, visible);
    return c.json(pageOf(rows, page, namespaceKey, view(workspace.name)), 200);
  })
  .openapi(get, async (c) => {
    const { ws, ns } = c.req.valid('param');
    const { namespace } = await visibleNamespace(c.get('db'), c.get('principal'), {
      workspace: ws,
      namespace: ns,
      cluster: c.req.valid('query').cluster,
    });
    return c.json(view(ws)(namespace), 200);
  })
  .openapi(create, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const input = c.req.valid('json');
    Object.assign(c.get('audit'), {
      name: input.name,
      namespace: input.name,
      cluster: input.cluster,
    });
    const { workspace, scope } = await visibleWorkspace(db, principal, c.req.valid('param').ws);
    authorize(principal, 'create', 'namespaces', scope, 'Namespaces');
    // Absent and not granted answer alike: no probing of cluster names.
    const cluster = await grantedClusterByName(db, workspace.id, input.cluster);
    if (!cluster) throw placementRefused.notGranted(input.cluster, workspace.name);
    if (isReservedNamespace(input.name)) throw placementRefused.reserved(input.name);
    if (!newName.safeParse(input.name).success)
      throw badRequest(`"${input.name}" is a reserved name.`, [
        { path: 'name', message: 'this name is reserved' },
      ]);
    const placed = await placementInCluster(db, cluster.id, input.name);
    if (placed && placed.workspaceId !== workspace.id)
      throw placementRefused.ownedByOther(input.name);
    if (placed)
      throw conflict(`Namespace "${input.name}" is already placed in cluster "${input.cluster}".`);
    const placement = { workspace: workspace.name, cluster: cluster.name, name: input.name };
    const mayAdopt = can(principal, 'update', 'clusters', clusterScope(cluster.id));
    const applies: NamespaceApply[] = [];
    for (const prepare of namespaceHooks.preparing) {
      const apply = await prepare(c, placement, { mayAdopt });
      if (apply) applies.push(apply);
    }
    // KubeSphere's self-provisioners own the projects they create.
    const admin = can(principal, 'create', 'members', scope)
      ? undefined
      : { userId: principal.userId };
    await orConflict(
      createNamespace(
        db,
        {
          workspaceId: workspace.id,
          clusterId: cluster.id,
          name: input.name,
          createdBy: principal.username,
        },
        admin,
      ),
      `Namespace "${input.name}" is already placed in cluster "${input.cluster}".`,
    );
    for (const apply of applies) await apply();
    for (const hook of namespaceHooks.created) await hook(c, placement);
    return c.json(
      { ...placement, createdBy: principal.username, createdAt: new Date().toISOString() },
      201,
    );
  })
  .openapi(remove, async (c) => {
    const principal = c.get('principal');
    const db = c.get('db');
    const { ws, ns } = c.req.valid('param');
    const { namespace, scope } = await visibleNamespace(db, principal, {
      workspace: ws,
      namespace: ns,
      cluster: c.req.valid('query').cluster,
    });
    c.get('audit').cluster = namespace.cluster;
    authorize(principal, 'delete', 'namespaces', scope, `Namespace "${ns}"`);
    await deleteNamespace(db, namespace.id);
    for (const hook of namespaceHooks.deleted)
      await hook(c, { workspace: ws, cluster: namespace.cluster, name: namespace.name });
    return c.body(null, 204);
  });
