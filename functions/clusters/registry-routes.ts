import { createRoute, type z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  clusterByName,
  deleteClusterRecord,
  insertCluster,
  listClusterRecords,
  replaceJoinToken,
} from '../../db/queries/clusters';
import { listClustersReachable } from '../../db/queries/workspace-clusters';
import { renderAgentManifest } from '../../protocol/agent-manifest';
import type { AppEnv } from '../env';
import { forbidden, notFound } from '../errors';
import { authorize, can, canSee, platformScope } from '../iam/authorize';
import { orConflict } from '../iam/conflicts';
import { pageOf, pageQuery, toPage } from '../iam/pagination';
import { bearerAuth, createRouter } from '../openapi';
import { issuerUrl } from '../settings';
import { clusterAccess, requireClusterWide } from './access';
import { newJoinToken } from './join-token';
import {
  clusterAsSeen,
  clusterList,
  clusterNameParam,
  createClusterBody,
  registration,
} from './schemas';
import { tunnelOf } from './tunnel-stub';
import { loadClusterView, loadClusterViewFor } from './view';
import { wipeClusterState } from './wipe';

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

const register = createRoute({
  method: 'post',
  path: '/api/v1/clusters',
  tags: ['clusters'],
  summary: 'Register a cluster: returns its join token (once) and the agent manifest',
  security: bearerAuth,
  request: {
    body: { required: true, content: { 'application/json': { schema: createClusterBody } } },
  },
  responses: { 201: json(registration, 'Registered; install the manifest in the cluster.') },
});

const list = createRoute({
  method: 'get',
  path: '/api/v1/clusters',
  tags: ['clusters'],
  summary: 'Clusters the caller can see, with live status',
  description:
    'Cluster-wide readers get the full view; members of a workspace the cluster is granted to (or of a namespace placed in it) get the summary.',
  security: bearerAuth,
  request: { query: pageQuery },
  responses: { 200: json(clusterList, 'One page of clusters.') },
});

const get = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}',
  tags: ['clusters'],
  summary: 'A cluster with its connection status and inventory summary',
  description: 'The full view for cluster-wide readers, the summary for tenants.',
  security: bearerAuth,
  request: { params: clusterNameParam },
  responses: { 200: json(clusterAsSeen, 'The cluster.') },
});

const rotate = createRoute({
  method: 'post',
  path: '/api/v1/clusters/{c}/join-token',
  tags: ['clusters'],
  summary: 'Rotate the join token: agents holding the old one are disconnected and refused',
  security: bearerAuth,
  request: { params: clusterNameParam },
  responses: { 200: json(registration, 'The new token (shown once) and manifest.') },
});

const remove = createRoute({
  method: 'delete',
  path: '/api/v1/clusters/{c}',
  tags: ['clusters'],
  summary: 'Unbind a cluster (works while it is unreachable) and close its tunnel',
  security: bearerAuth,
  request: { params: clusterNameParam },
  responses: { 204: { description: 'Deleted.' } },
});

const hubUrl = (c: Context<AppEnv>) => issuerUrl(c.env, c.req.url);

export const clusterRegistryRoutes = createRouter()
  .openapi(register, async (c) => {
    const principal = c.get('principal');
    authorize(principal, 'create', 'clusters', platformScope, 'Cluster');
    const body = c.req.valid('json');
    c.get('audit').name = body.name;
    const { token, hash } = await newJoinToken();
    const record = await orConflict(
      insertCluster(c.get('db'), {
        name: body.name,
        description: body.description ?? null,
        labels: body.labels ?? {},
        joinTokenHash: hash,
        createdBy: principal.username,
      }),
      `A cluster named "${body.name}" already exists.`,
    );
    const tunnel = tunnelOf(c.env, record.id);
    await tunnel.register(record.name, hash);
    const manifest = renderAgentManifest({ clusterName: record.name, hubUrl: hubUrl(c), token });
    return c.json(
      { cluster: await loadClusterView(c.env, record), joinToken: token, manifest },
      201,
    );
  })
  .openapi(list, async (c) => {
    const principal = c.get('principal');
    const page = toPage(c.req.valid('query'));
    const db = c.get('db');
    const rows = can(principal, 'list', 'clusters', platformScope)
      ? await listClusterRecords(db, page)
      : await listClustersReachable(db, page, principal.userId);
    const shown = rows.slice(0, page.limit);
    const views = new Map(
      await Promise.all(
        shown.map(
          async (r) =>
            [
              r.id,
              await loadClusterViewFor(
                c.env,
                r,
                canSee(principal, { level: 'cluster', clusterId: r.id }),
              ),
            ] as const,
        ),
      ),
    );
    return c.json(
      pageOf(
        rows,
        page,
        (r) => r.name,
        (r) => views.get(r.id)!,
      ),
      200,
    );
  })
  .openapi(get, async (c) => {
    const access = await clusterAccess(c.get('db'), c.get('principal'), c.req.valid('param').c);
    return c.json(await loadClusterViewFor(c.env, access.cluster, access.clusterWide), 200);
  })
  .openapi(rotate, async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    requireClusterWide(principal, access, 'update', 'clusters');
    const { token, hash } = await newJoinToken();
    await replaceJoinToken(c.get('db'), access.cluster.id, hash);
    // The tunnel refuses the old token from now on and drops agents still holding it.
    await tunnelOf(c.env, access.cluster.id).register(access.cluster.name, hash);
    const record = await clusterByName(c.get('db'), access.cluster.name);
    if (!record) throw notFound(`Cluster "${access.cluster.name}"`);
    const manifest = renderAgentManifest({ clusterName: record.name, hubUrl: hubUrl(c), token });
    return c.json(
      { cluster: await loadClusterView(c.env, record), joinToken: token, manifest },
      200,
    );
  })
  .openapi(remove, async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    // Unbinding a cluster is a platform decision, not one its own admins make.
    if (!can(principal, 'delete', 'clusters', platformScope))
      throw forbidden('Only platform administrators may delete clusters.');
    // D1 first: once the record is gone no agent can authenticate, whatever the tunnel does.
    await deleteClusterRecord(c.get('db'), access.cluster.id);
    await tunnelOf(c.env, access.cluster.id).destroy();
    // After the tunnel resolved its edge alerts: nothing of the cluster may
    // surface in one registered later under its name (issue #12, attack 7).
    await wipeClusterState(c.env, access.cluster);
    return c.body(null, 204);
  });
