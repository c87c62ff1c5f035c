import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../openapi';

const health = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['system'],
  summary: 'Liveness of the edge worker',
  responses: {
    200: {
      description: 'The worker is serving.',
      content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } },
    },
  },
});

export const systemRoutes = createRouter().openapi(health, (c) =>
  c.json({ status: 'ok' as const }, 200),
);
