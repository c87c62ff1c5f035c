import { createRoute, z } from '@hono/zod-openapi';
import {
  expireSilence,
  findSilence,
  listSilences,
  type SilenceRow,
  tenancyOf,
  upsertSilence,
} from '../../db/queries/alerts';
import type { Principal } from '../auth/principal';
import { badRequest, notFound } from '../errors';
import { authorize } from '../iam/authorize';
import { bearerAuth, createRouter } from '../openapi';
import { scopeOfLabels, type Tenancy } from './alert-scope';
import { fromAmMatcher } from './am-filter';
import { gettableSilence } from './am-views';
import { isValidPattern } from './labels';

const json = <T extends z.ZodType>(schema: T) => ({ 'application/json': { schema } });

const matcher = z.strictObject({
  name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name'),
  value: z.string().max(1024),
  isRegex: z.boolean(),
  isEqual: z.boolean().optional(),
});

const postableSilence = z
  .strictObject({
    id: z.string().max(64).optional(),
    matchers: z.array(matcher).min(1).max(32),
    startsAt: z.iso.datetime({ offset: true }),
    endsAt: z.iso.datetime({ offset: true }),
    createdBy: z.string().min(1).max(256),
    comment: z.string().min(1).max(4096),
  })
  .openapi('PostableSilence');

const postSilenceRoute = createRoute({
  method: 'post',
  path: '/api/v2/silences',
  tags: ['alerts'],
  summary: 'Create or update a silence (Alertmanager API v2)',
  security: bearerAuth,
  request: { body: { content: json(postableSilence), required: true } },
  responses: { 200: { description: '{silenceID}' }, 400: { description: 'Invalid silence.' } },
});

const listSilencesRoute = createRoute({
  method: 'get',
  path: '/api/v2/silences',
  tags: ['alerts'],
  summary: 'Silences you may see, expired ones included',
  security: bearerAuth,
  request: { query: z.object({ filter: z.union([z.string(), z.array(z.string())]).optional() }) },
  responses: { 200: { description: 'GettableSilences.' } },
});

const idParam = z.object({ id: z.string().max(64) });

const getSilenceRoute = createRoute({
  method: 'get',
  path: '/api/v2/silence/{id}',
  tags: ['alerts'],
  summary: 'One silence',
  security: bearerAuth,
  request: { params: idParam },
  responses: { 200: { description: 'GettableSilence.' }, 404: { description: 'Not found.' } },
});

const deleteSilenceRoute = createRoute({
  method: 'delete',
  path: '/api/v2/silence/{id}',
  tags: ['alerts'],
  summary: 'Expire a silence (kept for history)',
  security: bearerAuth,
  request: { params: idParam },
  responses: { 200: { description: 'Expired.' }, 404: { description: 'Not found.' } },
});

/** The labels a silence pins with equality matchers: they name its cluster and namespace. */
const pinnedLabels = (s: Pick<SilenceRow, 'matchers'>) =>
  Object.fromEntries(s.matchers.filter((m) => m.op === '=').map((m) => [m.name, m.value]));

async function silenceScope(
  db: Parameters<typeof tenancyOf>[0],
  silences: Pick<SilenceRow, 'matchers'>[],
) {
  const tenancy: Tenancy = await tenancyOf(db, silences.map(pinnedLabels));
  return (s: Pick<SilenceRow, 'matchers'>) => scopeOfLabels(pinnedLabels(s), tenancy);
}

function authorizeSilence(
  principal: Principal,
  verb: string,
  scope: ReturnType<Awaited<ReturnType<typeof silenceScope>>>,
  id: string,
) {
  authorize(principal, verb, 'silences', scope, `Silence "${id}"`);
}

/**
 * Alertmanager API v2 silences. A silence belongs where its equality
 * matchers pin it (`cluster=`, `namespace=`): a project operator may
 * silence their namespace, only platform admins everything.
 */
export const silenceRoutes = createRouter()
  .openapi(postSilenceRoute, async (c) => {
    const body = c.req.valid('json');
    const matchers = body.matchers.map(fromAmMatcher);
    for (const m of matchers)
      if ((m.op === '=~' || m.op === '!~') && !isValidPattern(m.value))
        throw badRequest(`Invalid regular expression for label "${m.name}".`);
    const startsAt = new Date(body.startsAt);
    const endsAt = new Date(body.endsAt);
    if (endsAt <= startsAt) throw badRequest('endsAt must be after startsAt.');
    if (endsAt.getTime() <= Date.now()) throw badRequest('endsAt is in the past.');
    const db = c.get('db');
    const principal = c.get('principal');
    const scopeOf = await silenceScope(db, [{ matchers }]);
    if (body.id) {
      const existing = await findSilence(db, body.id);
      if (!existing) throw notFound(`Silence "${body.id}"`);
      const existingScope = (await silenceScope(db, [existing]))(existing);
      authorizeSilence(principal, 'update', existingScope, body.id);
    }
    const id = body.id ?? crypto.randomUUID();
    authorizeSilence(principal, body.id ? 'update' : 'create', scopeOf({ matchers }), id);
    await upsertSilence(db, {
      id,
      matchers,
      startsAt,
      endsAt,
      createdBy: body.createdBy,
      comment: body.comment,
      author: principal.username,
    });
    c.get('audit').name = id;
    return c.json({ silenceID: id }, 200);
  })
  .openapi(listSilencesRoute, async (c) => {
    const db = c.get('db');
    const principal = c.get('principal');
    const rows = await listSilences(db);
    const scopeOf = await silenceScope(db, rows);
    const now = Date.now();
    const visible = rows.filter((s) => {
      try {
        authorizeSilence(principal, 'list', scopeOf(s), s.id);
        return true;
      } catch {
        return false;
      }
    });
    return c.json(
      visible.map((s) => gettableSilence(s, now)),
      200,
    );
  })
  .openapi(getSilenceRoute, async (c) => {
    const { id } = c.req.valid('param');
    const db = c.get('db');
    const silence = await findSilence(db, id);
    if (!silence) throw notFound(`Silence "${id}"`);
    const scope = (await silenceScope(db, [silence]))(silence);
    try {
      authorizeSilence(c.get('principal'), 'get', scope, id);
    } catch {
      throw notFound(`Silence "${id}"`);
    }
    return c.json(gettableSilence(silence, Date.now()), 200);
  })
  .openapi(deleteSilenceRoute, async (c) => {
    const { id } = c.req.valid('param');
    const db = c.get('db');
    const silence = await findSilence(db, id);
    if (!silence) throw notFound(`Silence "${id}"`);
    const scope = (await silenceScope(db, [silence]))(silence);
    authorizeSilence(c.get('principal'), 'delete', scope, id);
    await expireSilence(db, id, new Date());
    return c.body(null, 200);
  });
