import { createRoute, z } from '@hono/zod-openapi';
import { bearerAuth, createRouter } from '../openapi';
import { loadTenantRouting, UNROUTED } from './am-tenant-routing';

const receiverList = z.array(z.object({ name: z.string() })).openapi('AlertmanagerReceivers');

const getReceiversRoute = createRoute({
  method: 'get',
  path: '/api/v2/receivers',
  tags: ['alerts'],
  summary: 'Receivers you may see, by name (Alertmanager API v2)',
  security: bearerAuth,
  responses: {
    200: {
      description: 'The receivers of the configuration GET /api/v2/status renders.',
      content: { 'application/json': { schema: receiverList } },
    },
  },
});

/**
 * GET /api/v2/receivers: the receivers whose owners the caller may list
 * receivers of (as GET /api/v1/notification/receivers), under the names
 * the rendered configuration gives them, and its root receiver.
 */
export const amReceiversRoutes = createRouter().openapi(getReceiversRoute, async (c) => {
  const routing = await loadTenantRouting(c.get('db'), c.get('principal'));
  return c.json([{ name: UNROUTED }, ...routing.receivers.map((r) => ({ name: r.name }))], 200);
});
