import { createRoute, z } from '@hono/zod-openapi';
import { allReceivers, type ReceiverRow } from '../../db/queries/alerts';
import { allChannels, channelsByName } from '../../db/queries/notify-channels';
import { deleteReceiver, findReceiver, insertReceiver } from '../../db/queries/notify-receivers';
import { badRequest, conflict, notFound } from '../errors';
import { pageOf, toPage } from '../iam/pagination';
import { bearerAuth, createRouter } from '../openapi';
import { listableOwners, mayOnOwner, ownerFor } from './owners';
import { createReceiverBody, idParam, listQuery, receiverView } from './schemas';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });
const base = '/api/v1/notification/receivers';

const createReceiverRoute = createRoute({
  method: 'post',
  path: base,
  tags: ['notification'],
  summary: 'Create a receiver: which alerts go to which channels, grouped how',
  security: bearerAuth,
  request: { body: { content: json(createReceiverBody), required: true } },
  responses: {
    201: { description: 'Created.', content: json(receiverView) },
    400: { description: 'Invalid body or unknown channel.' },
    409: { description: 'Name taken.' },
  },
});
const listReceiversRoute = createRoute({
  method: 'get',
  path: base,
  tags: ['notification'],
  summary: 'Receivers you may see',
  security: bearerAuth,
  request: { query: listQuery },
  responses: {
    200: {
      description: 'A page.',
      content: json(z.object({ items: z.array(receiverView), nextCursor: z.string().optional() })),
    },
  },
});
const deleteReceiverRoute = createRoute({
  method: 'delete',
  path: `${base}/{id}`,
  tags: ['notification'],
  summary: 'Delete a receiver',
  security: bearerAuth,
  request: { params: idParam },
  responses: { 204: { description: 'Deleted.' }, 404: { description: 'Not found.' } },
});

const render = (r: ReceiverRow, channelNames: Map<string, string>) => ({
  id: r.id,
  name: r.name,
  channels: r.channelIds.map((id) => channelNames.get(id) ?? id),
  matchers: r.matchers,
  groupBy: r.groupBy,
  groupWaitSeconds: r.groupWaitSeconds,
  groupIntervalSeconds: r.groupIntervalSeconds,
  repeatIntervalSeconds: r.repeatIntervalSeconds,
  sendResolved: r.sendResolved,
  owner: r.owner,
  createdAt: r.createdAt.toISOString(),
});

/** `/api/v1/notification/receivers`: tenant-scoped routing of alerts to channels. */
export const receiverRoutes = createRouter()
  .openapi(createReceiverRoute, async (c) => {
    const body = c.req.valid('json');
    const db = c.get('db');
    const { owner } = await ownerFor(db, c.get('principal'), body, 'create', 'receivers');
    const names = [...new Set(body.channels)];
    const channels = await channelsByName(db, owner, names);
    const missing = names.filter((n) => !channels.some((ch) => ch.name === n));
    if (missing.length)
      throw badRequest(`No channel named ${missing.map((n) => `"${n}"`).join(', ')} here.`);
    const row = await insertReceiver(db, {
      owner,
      name: body.name,
      channelIds: names.map((n) => channels.find((ch) => ch.name === n)?.id ?? ''),
      matchers: body.matchers ?? [],
      groupBy: body.groupBy ?? ['alertname'],
      groupWaitSeconds: body.groupWaitSeconds ?? 30,
      groupIntervalSeconds: body.groupIntervalSeconds ?? 300,
      repeatIntervalSeconds: body.repeatIntervalSeconds ?? 14_400,
      sendResolved: body.sendResolved ?? true,
      createdBy: c.get('principal').username,
    });
    if (!row) throw conflict(`A receiver named "${body.name}" already exists here.`);
    c.get('audit').name = body.name;
    return c.json(render(row, new Map(channels.map((ch) => [ch.id, ch.name]))), 201);
  })
  .openapi(listReceiversRoute, async (c) => {
    const db = c.get('db');
    const owners = listableOwners(c.get('principal'), 'receivers');
    const rows = (await allReceivers(db)).filter((r) => !owners || owners.includes(r.owner));
    const names = new Map((await allChannels(db)).map((ch) => [ch.id, ch.name]));
    const page = toPage(c.req.valid('query'));
    const key = (r: ReceiverRow) => `${r.name}\u0000${r.id}`;
    const after = page.after;
    const remaining = after === undefined ? rows : rows.filter((r) => key(r) > after);
    return c.json(
      pageOf(remaining.slice(0, page.limit + 1), page, key, (r) => render(r, names)),
      200,
    );
  })
  .openapi(deleteReceiverRoute, async (c) => {
    const { id } = c.req.valid('param');
    const row = await findReceiver(c.get('db'), id);
    const principal = c.get('principal');
    if (!row || !mayOnOwner(principal, 'delete', 'receivers', row.owner))
      throw notFound(`Receiver "${id}"`);
    await deleteReceiver(c.get('db'), id);
    c.get('audit').name = row.name;
    return c.body(null, 204);
  });
