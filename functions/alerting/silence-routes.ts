import { createRoute, z } from '@hono/zod-openapi';
import {
  expireSilence,
  findSilence,
  listSilences,
  type SilenceRow,
  tenancyOf,
  unexpiredSilences,
  upsertSilence,
} from '../../db/queries/alerts';
import type { Principal } from '../auth/principal';
import { ApiError, badRequest, notFound } from '../errors';
import { authorize, type Scope } from '../iam/authorize';
import { bearerAuth, createRouter } from '../openapi';
import { scopeOfLabels, type Tenancy } from './alert-scope';
import { filterMatchers, fromAmMatcher, silenceFilter } from './am-filter';
import { gettableSilence } from './am-views';
import { MAX_ACTIVE_SILENCES_PER_TENANT } from './caps';
import { assertValidMatchers } from './matchers';

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
  responses: {
    200: { description: '{silenceID}' },
    400: { description: 'Invalid silence (code invalid_regex for a regex RE2 refuses).' },
    429: {
      description: `The tenant already has ${MAX_ACTIVE_SILENCES_PER_TENANT} unexpired silences (code silence_limit_reached).`,
    },
  },
});

const listSilencesRoute = createRoute({
  method: 'get',
  path: '/api/v2/silences',
  tags: ['alerts'],
  summary: 'Silences you may see, expired ones included',
  security: bearerAuth,
  request: {
    query: z.object({
      filter: z.union([z.string().max(1024), z.array(z.string().max(1024)).max(32)]).optional(),
    }),
  },
  responses: {
    200: { description: 'GettableSilences.' },
    400: { description: 'Bad filter (code invalid_regex for a regex RE2 refuses).' },
  },
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

/** Who a silence's budget belongs to: the workspace of its namespace, else its cluster, else the platform. */
const tenantOf = (scope: Scope) => {
  if (scope.level === 'namespace' || scope.level === 'workspace')
    return `workspace:${scope.workspaceId}`;
  return scope.level === 'cluster' ? `cluster:${scope.clusterId}` : 'platform';
};

/**
 * Refuses a new silence (or one moved to another tenant, or revived) once
 * the tenant has MAX_ACTIVE_SILENCES_PER_TENANT unexpired ones: every
 * listing checks each alert against the silences that can match it. Counted
 * before the write, so parallel creations may pass the cap by a few.
 */
async function assertSilenceBudget(
  db: Parameters<typeof tenancyOf>[0],
  silence: { id: string; matchers: SilenceRow['matchers'] },
  scope: Scope,
) {
  const tenant = tenantOf(scope);
  const cluster = pinnedLabels(silence).cluster;
  const candidates = await unexpiredSilences(
    db,
    new Date(),
    scope.level === 'platform' ? undefined : cluster,
  );
  const others = candidates.filter((s) => s.id !== silence.id);
  const scopeOf = await silenceScope(db, others);
  const held = others.filter((s) => tenantOf(scopeOf(s)) === tenant).length;
  if (held >= MAX_ACTIVE_SILENCES_PER_TENANT)
    throw new ApiError(
      429,
      `At most ${MAX_ACTIVE_SILENCES_PER_TENANT} active or pending silences per tenant; this one has ${held}. Expire some (DELETE /api/v2/silence/{id}) first.`,
      { code: 'silence_limit_reached' },
    );
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
    assertValidMatchers(matchers);
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
    const scope = scopeOf({ matchers });
    authorizeSilence(principal, body.id ? 'update' : 'create', scope, id);
    await assertSilenceBudget(db, { id, matchers }, scope);
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
    const matchesFilter = silenceFilter(filterMatchers(c.req.valid('query').filter));
    const db = c.get('db');
    const principal = c.get('principal');
    const rows = (await listSilences(db)).filter(matchesFilter);
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
