import { createRoute, type z } from '@hono/zod-openapi';
import { eventSummary, namespaceSummary, nodeSummary } from '../../protocol/tunnel';
import { encodeCursor, listOf, pageQuery, toPage } from '../iam/pagination';
import { bearerAuth, createRouter } from '../openapi';
import type { InventoryPage } from '../tunnel/inventory-store';
import { clusterAccess, inventoryFilter, requireClusterWide } from './access';
import { clusterNameParam } from './schemas';
import { tunnelOf } from './tunnel-stub';

// The agent's wire schemas, named for the OpenAPI document.
const node = nodeSummary.openapi('ClusterNode');
const namespace = namespaceSummary.openapi('ClusterNamespace');
const event = eventSummary.openapi('ClusterWarningEvent');

const inventoryRoute = <T extends z.ZodType>(path: string, item: T, summary: string) =>
  createRoute({
    method: 'get',
    path: `/api/v1/clusters/{c}/${path}`,
    tags: ['clusters'],
    summary,
    description: 'Served from what the agent pushed; no round trip to the cluster.',
    security: bearerAuth,
    request: { params: clusterNameParam, query: pageQuery },
    responses: {
      200: { description: 'One page.', content: { 'application/json': { schema: listOf(item) } } },
    },
  });

function asList<T>(page: InventoryPage<T>): { items: T[]; nextCursor?: string } {
  return page.nextAfter === undefined
    ? { items: page.items }
    : { items: page.items, nextCursor: encodeCursor(page.nextAfter) };
}

export const clusterInventoryRoutes = createRouter()
  .openapi(inventoryRoute('nodes', node, 'Nodes of the cluster'), async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    requireClusterWide(principal, access, 'list', 'nodes');
    const page = toPage(c.req.valid('query'));
    const nodes = await tunnelOf(c.env, access.cluster.id).listNodes({ edgeOnly: false, ...page });
    return c.json(asList(nodes), 200);
  })
  .openapi(inventoryRoute('edge-nodes', node, 'KubeEdge edge nodes of the cluster'), async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    requireClusterWide(principal, access, 'list', 'nodes');
    const page = toPage(c.req.valid('query'));
    const nodes = await tunnelOf(c.env, access.cluster.id).listNodes({ edgeOnly: true, ...page });
    return c.json(asList(nodes), 200);
  })
  .openapi(
    inventoryRoute('namespaces', namespace, 'Namespaces (tenant-filtered) with workload counts'),
    async (c) => {
      const principal = c.get('principal');
      const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
      const only = inventoryFilter(principal, access, 'namespaces');
      const page = toPage(c.req.valid('query'));
      const tunnel = tunnelOf(c.env, access.cluster.id);
      const result = await tunnel.listNamespaces(only ? { ...page, only } : page);
      return c.json(asList(result), 200);
    },
  )
  .openapi(inventoryRoute('events', event, 'Warning events (tenant-filtered)'), async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    const only = inventoryFilter(principal, access, 'events');
    const page = toPage(c.req.valid('query'));
    const tunnel = tunnelOf(c.env, access.cluster.id);
    const result = await tunnel.listEvents(only ? { ...page, only } : page);
    return c.json(asList(result), 200);
  });
