import { createRoute, z } from '@hono/zod-openapi';
import { allReceivers } from '../../db/queries/alerts';
import {
  allChannels,
  type ChannelRow,
  deleteChannel,
  findChannel,
  insertChannel,
  updateChannel,
} from '../../db/queries/notify-channels';
import { externalUrl } from '../alerting/external-url';
import type { WebhookPayload } from '../alerting/route';
import type { Env } from '../env';
import { conflict, notFound } from '../errors';
import { pageOf, toPage } from '../iam/pagination';
import { bearerAuth, createRouter } from '../openapi';
import { channelConfig, sealConfig, secretFieldsOf } from './channel-store';
import { sendToChannel } from './deliver';
import { listableOwners, mayOnOwner, ownerFor } from './owners';
import { channelView, createChannelBody, idParam, listQuery, updateChannelBody } from './schemas';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const base = '/api/v1/notification/channels';

const createChannelRoute = createRoute({
  method: 'post',
  path: base,
  tags: ['notification'],
  summary: 'Create a notification channel (secrets are write-only)',
  security: bearerAuth,
  request: { body: { content: json(createChannelBody), required: true } },
  responses: {
    201: { description: 'Created.', content: json(channelView) },
    400: { description: 'Invalid config or refused target (target_not_allowed).' },
    409: { description: 'Name taken.' },
  },
});
const listChannelsRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notification'],
  summary: 'Channels you may see',
  security: bearerAuth,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page.',
      content: json(z.object({ items: z.array(channelView), nextCursor: z.string().optional() })),
    },
  },
});
const getChannelRoute = createRoute({
  method: 'get',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'One channel',
  security: bearerAuth,
  request: { params: idParam },
  responses: {
    200: { description: 'The channel.', content: json(channelView) },
    404: { description: 'Not found.' },
  },
});
const updateChannelRoute = createRoute({
  method: 'put',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary:
    'Replace a channel config (omitted secret fields are kept while the destinations stay the same; null drops one)',
  security: bearerAuth,
  request: { params: idParam, body: { content: json(updateChannelBody), required: true } },
  responses: {
    200: { description: 'Updated.', content: json(channelView) },
    400: {
      description:
        'Invalid config, refused target (target_not_allowed), or a new destination without its secrets (secrets_required_for_new_target).',
    },
    404: { description: 'Not found.' },
  },
});
const deleteChannelRoute = createRoute({
  method: 'delete',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'Delete a channel no receiver uses',
  security: bearerAuth,
  request: { params: idParam },
  responses: {
    204: { description: 'Deleted.' },
    404: { description: 'Not found.' },
    409: { description: 'In use.' },
  },
});
const testChannelRoute = createRoute({
  method: 'post',
  path: `${base}/{id}/test`,
  tags: ['notification'],
  summary: 'Send a test message now',
  security: bearerAuth,
  request: { params: idParam },
  responses: {
    200: {
      description: 'The outcome.',
      content: json(
        z.object({
          delivered: z.boolean(),
          latencyMs: z.number(),
          error: z.string().optional(),
          /** The channel refused for good (bad credentials, unknown robot or chat): fix the config. */
          permanent: z.boolean().optional(),
        }),
      ),
    },
    404: { description: 'Not found.' },
  },
});

async function render(env: Env, row: ChannelRow) {
  return {
    id: row.id,
    name: row.name,
    type: row.type,
    config: row.settings,
    secretFields: await secretFieldsOf(env, row),
    owner: row.owner,
    createdAt: row.createdAt.toISOString(),
  };
}

/** A channel the caller may `verb`; 404 when it may not even see it. */
async function channelFor(
  c: {
    get(k: 'db'): Parameters<typeof findChannel>[0];
    get(k: 'principal'): Parameters<typeof mayOnOwner>[0];
  },
  id: string,
  verb: string,
) {
  const row = await findChannel(c.get('db'), id);
  if (!row || !mayOnOwner(c.get('principal'), 'get', 'channels', row.owner))
    throw notFound(`Channel "${id}"`);
  if (verb !== 'get' && !mayOnOwner(c.get('principal'), verb, 'channels', row.owner))
    throw notFound(`Channel "${id}"`);
  return row;
}

const testPayload = (now: number, externalURL: string): WebhookPayload => ({
  version: '4',
  groupKey: 'test',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'test',
  groupLabels: { alertname: 'EdgetowerTest' },
  commonLabels: { alertname: 'EdgetowerTest', severity: 'info' },
  commonAnnotations: { summary: 'Test message from edgetower' },
  externalURL,
  alerts: [
    {
      status: 'firing',
      labels: { alertname: 'EdgetowerTest', severity: 'info' },
      annotations: { summary: 'Test message from edgetower' },
      startsAt: new Date(now).toISOString(),
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: '0000000000000000',
    },
  ],
});

/** `/api/v1/notification/channels`: where notifications go. */
export const channelRoutes = createRouter()
  .openapi(createChannelRoute, async (c) => {
    const body = c.req.valid('json');
    const db = c.get('db');
    const { owner } = await ownerFor(db, c.get('principal'), body, 'create', 'channels');
    const sealed = await sealConfig(c.env, body.type, body.config);
    const row = await insertChannel(db, {
      owner,
      name: body.name,
      type: body.type,
      ...sealed,
      createdBy: c.get('principal').username,
    });
    if (!row) throw conflict(`A channel named "${body.name}" already exists here.`);
    c.get('audit').name = body.name;
    return c.json(await render(c.env, row), 201);
  })
  .openapi(listChannelsRoute, async (c) => {
    const owners = listableOwners(c.get('principal'), 'channels');
    const rows = (await allChannels(c.get('db'))).filter(
      (r) => !owners || owners.includes(r.owner),
    );
    const page = toPage(c.req.valid('query'));
    const key = (r: ChannelRow) => `${r.name}\u0000${r.id}`;
    const after = page.after;
    const remaining = after === undefined ? rows : rows.filter((r) => key(r) > after);
    const result = pageOf(remaining.slice(0, page.limit + 1), page, key, (r) => r);
    return c.json(
      { ...result, items: await Promise.all(result.items.map((r) => render(c.env, r))) },
      200,
    );
  })
  .openapi(getChannelRoute, async (c) => {
    const row = await channelFor(c, c.req.valid('param').id, 'get');
    return c.json(await render(c.env, row), 200);
  })
  .openapi(updateChannelRoute, async (c) => {
    const row = await channelFor(c, c.req.valid('param').id, 'update');
    const sealed = await sealConfig(
      c.env,
      row.type,
      c.req.valid('json').config,
      await channelConfig(c.env, row),
    );
    await updateChannel(c.get('db'), row.id, sealed);
    c.get('audit').name = row.name;
    return c.json(await render(c.env, { ...row, ...sealed }), 200);
  })
  .openapi(deleteChannelRoute, async (c) => {
    const row = await channelFor(c, c.req.valid('param').id, 'delete');
    const users = (await allReceivers(c.get('db'))).filter((r) => r.channelIds.includes(row.id));
    if (users.length)
      throw conflict(
        `Channel "${row.name}" is used by receiver(s) ${users.map((r) => r.name).join(', ')}.`,
      );
    await deleteChannel(c.get('db'), row.id);
    c.get('audit').name = row.name;
    return c.body(null, 204);
  })
  .openapi(testChannelRoute, async (c) => {
    const row = await channelFor(c, c.req.valid('param').id, 'update');
    const now = Date.now();
    const result = await sendToChannel(c.env, row.type, {
      config: await channelConfig(c.env, row),
      payload: testPayload(now, externalUrl(c.env, c.req.url) ?? ''),
      notificationId: `test-${crypto.randomUUID()}`,
      now,
    });
    c.get('audit').name = row.name;
    return c.json(
      result.ok
        ? { delivered: true, latencyMs: result.latencyMs }
        : {
            delivered: false,
            latencyMs: result.latencyMs,
            error: result.error,
            ...('permanent' in result && result.permanent ? { permanent: true } : {}),
          },
      200,
    );
  });
