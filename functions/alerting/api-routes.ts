import { createRoute, z } from '@hono/zod-openapi';
import { bearerAuth, createRouter } from '../openapi';
import { amStatus } from './am-status';
import { gettableAlert } from './am-views';
import { receiverTest, visibleAlerts } from './am-visible-alerts';
import { externalUrl } from './external-url';
import { ingestAlerts } from './intake';
import { normalizeAlerts, postAlertsBody } from './intake-schema';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const flag = z
  .enum(['true', 'false'])
  .default('true')
  .transform((v) => v === 'true');

const postAlertsRoute = createRoute({
  method: 'post',
  path: '/api/v2/alerts',
  tags: ['alerts'],
  summary: 'Post alerts (Alertmanager API v2 array or webhook payload v4); needs create:alerts',
  security: bearerAuth,
  request: { body: { content: json(postAlertsBody), required: true } },
  responses: {
    200: { description: 'Accepted.' },
    400: { description: 'Invalid alerts.' },
    403: {
      description: 'Not allowed to post alerts for a cluster or namespace named in the labels.',
    },
  },
});

const getAlertsRoute = createRoute({
  method: 'get',
  path: '/api/v2/alerts',
  tags: ['alerts'],
  summary: 'Alerts you may see (Alertmanager API v2, for amtool)',
  security: bearerAuth,
  request: {
    query: z.object({
      filter: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(32)]).optional(),
      active: flag,
      silenced: flag,
      inhibited: flag,
      unprocessed: flag,
      receiver: z.string().max(256).optional(),
    }),
  },
  responses: { 200: { description: 'GettableAlerts.' } },
});

const statusRoute = createRoute({
  method: 'get',
  path: '/api/v2/status',
  tags: ['alerts'],
  summary:
    'Alertmanager API v2 status: your alert routing as Alertmanager YAML in config.original (amtool config routes)',
  security: bearerAuth,
  responses: {
    200: { description: 'AlertmanagerStatus, plus externalURL (the edge).' },
  },
});

/** The Alertmanager API v2 subset Prometheus and amtool use: alerts and status. */
export const alertApiRoutes = createRouter()
  .openapi(postAlertsRoute, async (c) => {
    // Prometheus posts every evaluation interval: auditing each post would drown the audit log.
    c.get('audit').skip = true;
    c.set('principalsUnchanged', true);
    const now = Date.now();
    await ingestAlerts(
      c.env,
      c.get('db'),
      c.get('principal'),
      normalizeAlerts(c.req.valid('json'), now),
      now,
      externalUrl(c.env, c.req.url),
    );
    return c.body(null, 200);
  })
  .openapi(getAlertsRoute, async (c) => {
    const query = c.req.valid('query');
    const receiver = query.receiver ? receiverTest(query.receiver) : undefined;
    const { alerts } = await visibleAlerts(c.env, c.get('db'), c.get('principal'), query);
    const visible = receiver ? alerts.filter((a) => a.receivers.some(receiver)) : alerts;
    return c.json(visible.map(gettableAlert), 200);
  })
  .openapi(statusRoute, async (c) =>
    c.json(await amStatus(c.env, c.get('db'), c.get('principal'), c.req.url), 200),
  );
