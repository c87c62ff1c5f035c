import { createRoute, z } from '@hono/zod-openapi';
import { type DeliveryRow, listDeliveries, readError } from '../../db/queries/notify-deliveries';
import { badRequest } from '../errors';
import { decodeCursor, encodeCursor } from '../iam/pagination';
import { bearerAuth, createRouter } from '../openapi';
import { listableOwners } from './owners';
import { historyItem, listQuery } from './schemas';

const historyRoute = createRoute({
  method: 'get',
  path: '/api/v1/notification/history',
  tags: ['notification'],
  summary: 'Delivery history: one row per (notification, channel), newest first',
  security: bearerAuth,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page.',
      content: {
        'application/json': {
          schema: z.object({ items: z.array(historyItem), nextCursor: z.string().optional() }),
        },
      },
    },
  },
});

const render = (d: DeliveryRow) => {
  const { error, permanent } = readError(d.error);
  return {
    notificationId: d.notificationId,
    channel: d.channelName,
    receiver: d.receiverName,
    status: d.status,
    attempts: d.attempts,
    alerts: d.alerts,
    time: d.createdAt.toISOString(),
    ...(d.latencyMs === null ? {} : { latencyMs: d.latencyMs }),
    ...(error === null ? {} : { error }),
    ...(permanent ? { permanent: true } : {}),
  };
};

function parseCursor(cursor: string | undefined): { createdAt: number; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [time, id] = decodeCursor(cursor).split('\u0000');
  if (!time || !id || !Number.isFinite(Number(time))) throw badRequest('Invalid cursor.');
  return { createdAt: Number(time), id };
}

/** `/api/v1/notification/history`: what was delivered, retried or failed, for the receivers you may see. */
export const historyRoutes = createRouter().openapi(historyRoute, async (c) => {
  const { limit, cursor } = c.req.valid('query');
  const owners = listableOwners(c.get('principal'), 'notifications');
  const rows = await listDeliveries(c.get('db'), limit + 1, parseCursor(cursor), owners);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return c.json(
    {
      items: items.map(render),
      ...(rows.length > limit && last
        ? { nextCursor: encodeCursor(`${last.createdAt.getTime()}\u0000${last.id}`) }
        : {}),
    },
    200,
  );
});
