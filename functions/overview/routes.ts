import { createRoute } from '@hono/zod-openapi';
import { bearerAuth, createRouter } from '../openapi';
import { loadOverview } from './overview';
import { overview } from './schemas';
import { overviewSpend } from './spend';

const overviewRoute = createRoute({
  method: 'get',
  path: '/api/v1/overview',
  tags: ['overview'],
  summary: "The dashboard's first screen in one call: clusters, firing alerts, this month's spend",
  description:
    'Tenant-filtered: only clusters, alerts and spend the caller may see. Cluster status comes from each tunnel live.',
  security: bearerAuth,
  responses: {
    200: { description: 'The overview.', content: { 'application/json': { schema: overview } } },
  },
});

export const overviewRoutes = createRouter().openapi(overviewRoute, async (c) => {
  const body = await loadOverview(
    c.env,
    c.get('db'),
    c.get('principal'),
    new Date(),
    overviewSpend,
  );
  c.header('cache-control', 'private, no-store');
  return c.json(body, 200);
});
