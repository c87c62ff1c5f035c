import { createRoute, z } from '@hono/zod-openapi';
import { bearerAuth, createRouter } from '../openapi';
import { alertGroupsOf } from './am-groups';
import { loadTenantRouting } from './am-tenant-routing';
import { gettableAlert } from './am-views';
import { receiverTest, visibleAlerts } from './am-visible-alerts';

const flag = z
  .enum(['true', 'false'])
  .default('true')
  .transform((v) => v === 'true');

const getGroupsRoute = createRoute({
  method: 'get',
  path: '/api/v2/alerts/groups',
  tags: ['alerts'],
  summary: 'Alert groups over the alerts and receivers you may see (Alertmanager API v2)',
  security: bearerAuth,
  request: {
    query: z.object({
      filter: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(32)]).optional(),
      active: flag,
      silenced: flag,
      inhibited: flag,
      receiver: z.string().max(256).optional(),
    }),
  },
  responses: {
    200: { description: 'AlertGroups: labels, receiver {name}, alerts (GettableAlert).' },
    400: { description: 'Invalid matcher or receiver regex.' },
  },
});

/** GET /api/v2/alerts/groups: scoped like GET /api/v2/alerts, grouped by the caller's receivers. */
export const amGroupsRoutes = createRouter().openapi(getGroupsRoute, async (c) => {
  const query = c.req.valid('query');
  const receiver = query.receiver ? receiverTest(query.receiver) : undefined;
  const db = c.get('db');
  const principal = c.get('principal');
  const [{ alerts, tenancy }, routing] = await Promise.all([
    visibleAlerts(c.env, db, principal, query),
    loadTenantRouting(db, principal),
  ]);
  const groups = alertGroupsOf(alerts, tenancy, routing, receiver);
  return c.json(
    groups.map((g) => ({
      labels: g.labels,
      receiver: { name: g.receiver },
      alerts: g.alerts.map(gettableAlert),
    })),
    200,
  );
});
