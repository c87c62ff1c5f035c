import { createRoute, z } from '@hono/zod-openapi';
import type { NodeSummary } from '../../protocol/inventory';
import { clusterAccess, requireClusterWide } from '../clusters/access';
import { clusterNameParam } from '../clusters/schemas';
import { tunnelOf } from '../clusters/tunnel-stub';
import { notFound } from '../errors';
import { encodeCursor, pageQuery, toPage } from '../iam/pagination';
import { errors, json } from '../iam/schemas';
import { bearerAuth, createRouter } from '../openapi';
import { kubeRead } from './kube-read';
import { recall, remember } from './last-known';
import { readHistory } from './node-exporter';
import { type NodeFigures, type NodeFiguresRead, readNodeFigures } from './node-metrics';
import {
  historyRanges,
  type NodeCondition,
  type NodeDetail,
  nodeDetail,
  nodeMetricsList,
  nodeParams,
  nodeQuery,
} from './node-schemas';

const tags = ['monitoring'];

/**
 * The inventory key just before `name`, so a page of one starting after it
 * is that node if it exists: node names are DNS subdomains ([a-z0-9.-]),
 * so nothing sorts between `<prefix><last char - 1>~` and the name.
 */
function keyBefore(name: string): string {
  const last = name.charCodeAt(name.length - 1);
  return `${name.slice(0, -1)}${String.fromCharCode(last - 1)}~`;
}

/** The figures now, or the last kept ones when the cluster is disconnected. */
async function liveOrLastKnown<T extends Omit<NodeFiguresRead, 'items'>>(
  clusterId: string,
  part: string,
  fresh: T,
): Promise<T> {
  if (fresh.live) {
    await remember(clusterId, part, fresh);
    return fresh;
  }
  const kept = await recall<T>(clusterId, part);
  return kept ? { ...kept, live: false } : { ...fresh, collectedAt: null };
}

interface KubeNode {
  status?: {
    conditions?: {
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }[];
  };
}

const conditionsOf = (node: KubeNode): NodeCondition[] =>
  (node.status?.conditions ?? []).map((c) => ({
    type: c.type ?? '',
    status: c.status ?? 'Unknown',
    reason: c.reason ?? null,
    message: c.message ?? null,
    lastTransitionTime: c.lastTransitionTime ?? null,
  }));

const notReadYet = 'not read from the cluster yet at this edge';
const unread = (n: NodeSummary): NodeFigures => ({
  name: n.name,
  edge: n.edge,
  ready: n.ready,
  cpu: null,
  memory: null,
  disk: null,
  network: null,
  missing: { cpu: notReadYet, memory: notReadYet, disk: notReadYet, network: notReadYet },
  sampledAt: null,
});

const listQuery = pageQuery.extend({
  from: z.enum(['cache']).optional().openapi({
    description:
      '`cache`: only what this edge kept from earlier reads (no round trip to the cluster; `live` is false).',
  }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/nodes/metrics',
  tags,
  security: bearerAuth,
  summary: "Nodes' cpu, memory, disk and network use (edge nodes included)",
  description:
    "cpu and memory from metrics.k8s.io (metrics-server), disk and network from node-exporter through the cluster's Prometheus. A figure the cluster cannot give is null with its reason in `missing`, never 0. Whoever may list the cluster's nodes.",
  request: { params: clusterNameParam, query: listQuery },
  responses: { 200: json(nodeMetricsList, 'One page of nodes, by name.'), ...errors },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/api/v1/clusters/{c}/nodes/{node}/metrics',
  tags,
  security: bearerAuth,
  summary: 'One node: inventory, conditions, usage now and its recent history',
  request: { params: nodeParams, query: nodeQuery },
  responses: { 200: json(nodeDetail, 'The node.'), ...errors },
});

export const nodeMetricsRoutes = createRouter()
  .openapi(listRoute, async (c) => {
    const principal = c.get('principal');
    const access = await clusterAccess(c.get('db'), principal, c.req.valid('param').c);
    requireClusterWide(principal, access, 'list', 'nodes');
    const query = c.req.valid('query');
    const page = toPage(query);
    const clusterId = access.cluster.id;
    const nodes = await tunnelOf(c.env, clusterId).listNodes({ edgeOnly: false, ...page });
    const part = `list:${page.after ?? ''}:${page.limit}`;
    if (query.from === 'cache') {
      // No round trip to the cluster: what this edge kept, for pages that must not wait.
      const kept = await recall<NodeFiguresRead>(clusterId, part);
      const known = new Map((kept?.items ?? []).map((f) => [f.name, f]));
      const body: z.infer<typeof nodeMetricsList> = {
        live: false,
        collectedAt: kept?.collectedAt ?? null,
        sources: kept?.sources ?? {
          metricsServer: { ok: false, reason: notReadYet },
          nodeExporter: { ok: false, reason: notReadYet },
        },
        items: nodes.items.map((n) => known.get(n.name) ?? unread(n)),
      };
      if (nodes.nextAfter !== undefined) body.nextCursor = encodeCursor(nodes.nextAfter);
      return c.json(body, 200);
    }
    const fresh = await readNodeFigures(c.env, clusterId, principal, nodes.items);
    const read = await liveOrLastKnown(clusterId, part, fresh);
    // The node list is the inventory's; kept figures are matched to it by name.
    const kept = new Map(read.items.map((f) => [f.name, f]));
    const items = fresh.items.map((f) => (read.live ? f : (kept.get(f.name) ?? f)));
    const body: z.infer<typeof nodeMetricsList> = { ...read, items };
    if (nodes.nextAfter !== undefined) body.nextCursor = encodeCursor(nodes.nextAfter);
    return c.json(body, 200);
  })
  .openapi(detailRoute, async (c) => {
    const principal = c.get('principal');
    const { c: cluster, node: name } = c.req.valid('param');
    const access = await clusterAccess(c.get('db'), principal, cluster);
    requireClusterWide(principal, access, 'list', 'nodes');
    const clusterId = access.cluster.id;
    const page = await tunnelOf(c.env, clusterId).listNodes({
      edgeOnly: false,
      after: keyBefore(name),
      limit: 1,
    });
    const node: NodeSummary | undefined = page.items[0];
    if (!node || node.name !== name) throw notFound(`Node "${name}"`);
    const seconds = historyRanges[c.req.valid('query').history];
    const figures = await readNodeFigures(c.env, clusterId, principal, [node], name);
    const now = Date.now();
    const [kube, history] = figures.live
      ? await Promise.all([
          kubeRead<KubeNode>(
            c.env,
            clusterId,
            principal,
            `/api/v1/nodes/${encodeURIComponent(name)}`,
          ),
          readHistory(
            c.env,
            clusterId,
            { name, addresses: node.addresses.map((a) => a.address) },
            seconds,
            now,
          ),
        ])
      : [undefined, undefined];
    const end = Math.floor(now / 1000);
    const fresh: NodeDetail = {
      node: { ...node, conditions: kube?.ok ? conditionsOf(kube.body) : null },
      figures: figures.items[0] as NodeDetail['figures'],
      history: history?.ok
        ? { start: end - seconds, end, cpu: history.cpu, memory: history.memory }
        : null,
      historyMissing:
        history === undefined ? 'the cluster is disconnected' : history.ok ? null : history.reason,
      live: figures.live,
      collectedAt: figures.collectedAt,
      sources: figures.sources,
    };
    const read = await liveOrLastKnown(clusterId, `node:${name}`, fresh);
    // The inventory's node (ready, roles) is newer than a kept copy's.
    return c.json({ ...read, node: { ...read.node, ...node } }, 200);
  });
