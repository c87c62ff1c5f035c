import { createRoute, z } from '@hono/zod-openapi';
import type { Database } from '../../../db/client';
import type { Principal } from '../../../db/principal';
import {
  type AuditEventRow,
  type AuditWorkspace,
  listAuditEvents,
} from '../../../db/queries/audit-list';
import { boundWorkspaces, findWorkspace } from '../../../db/queries/workspaces';
import { badRequest, forbidden } from '../../errors';
import { bearerAuth, createRouter } from '../../openapi';
import { can, platformScope } from '../authorize';
import { listOf, pageOf, pageQuery, toPage } from '../pagination';
import { errors, json, timestamp } from '../schemas';
import { workspaceScope } from '../scopes';

const outcomes = ['success', 'failure', 'denied'] as const;

const auditEventSchema = z
  .object({
    time: timestamp,
    user: z.string().nullable(),
    verb: z.string(),
    resource: z.string(),
    name: z.string().nullable(),
    workspace: z.string().optional(),
    cluster: z.string().optional(),
    namespace: z.string().optional(),
    outcome: z.enum(outcomes),
    status: z.number().int(),
    requestId: z.string(),
    sourceIp: z.string().nullable(),
  })
  .openapi('AuditEvent');

const filterQuery = pageQuery.extend({
  user: z.string().max(63).optional(),
  verb: z.string().max(32).optional(),
  resource: z.string().max(63).optional(),
  workspace: z.string().max(63).optional(),
  outcome: z.enum(outcomes).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
});

const eventView = (e: AuditEventRow) => ({
  time: e.time.toISOString(),
  user: e.user,
  verb: e.verb,
  resource: e.resource,
  name: e.name,
  ...(e.workspace === null ? {} : { workspace: e.workspace }),
  ...(e.cluster === null ? {} : { cluster: e.cluster }),
  ...(e.namespace === null ? {} : { namespace: e.namespace }),
  outcome: e.outcome,
  status: e.status,
  requestId: e.requestId,
  sourceIp: e.sourceIp,
});

/**
 * The workspaces whose events the caller may read: all for platform
 * auditors, else the workspaces where a binding lets them list `audit`
 * (workspace admins). Events carry the workspace's name; the immutable
 * workspace is told apart by time: its events are those from its creation
 * on (names are unique at any moment), so a workspace re-created under an
 * old name never shows its predecessor's.
 */
async function readableWorkspaces(
  db: Database,
  principal: Principal,
): Promise<AuditWorkspace[] | 'all'> {
  if (can(principal, 'list', 'audit', platformScope)) return 'all';
  if (!principal.bindings.some((b) => b.scopeType === 'workspace')) return [];
  const bound = await boundWorkspaces(db, principal.userId);
  return bound
    .filter((w) => can(principal, 'list', 'audit', workspaceScope(w.id)))
    .map((w) => ({ name: w.name, since: w.createdAt }));
}

const list = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['audit'],
  security: bearerAuth,
  summary: 'Audit events, newest first (platform admins: all; workspace admins: their workspaces)',
  request: { query: filterQuery },
  responses: { 200: json(listOf(auditEventSchema), 'One page of events.'), ...errors },
});

export const auditRoutes = createRouter().openapi(list, async (c) => {
  const db = c.get('db');
  const query = c.req.valid('query');
  const workspaces = await readableWorkspaces(db, c.get('principal'));
  if (workspaces !== 'all' && workspaces.length === 0)
    throw forbidden('Only platform and workspace administrators may read audit events.');
  const page = toPage(query);
  const beforeId = page.after === undefined ? undefined : Number(page.after);
  if (beforeId !== undefined && !Number.isSafeInteger(beforeId))
    throw badRequest('Invalid cursor: pass back the nextCursor of a previous page unchanged.');
  // `workspace=` names the workspace of that name now (from its creation on);
  // a name no workspace bears any more still finds a deleted one's history.
  const named =
    query.workspace === undefined ? undefined : await findWorkspace(db, query.workspace);
  const rows = await listAuditEvents(
    db,
    {
      user: query.user,
      verb: query.verb,
      resource: query.resource,
      workspace: query.workspace,
      workspaceSince: named?.createdAt,
      outcome: query.outcome,
      since: query.since === undefined ? undefined : new Date(query.since),
      until: query.until === undefined ? undefined : new Date(query.until),
    },
    workspaces,
    beforeId === undefined ? { limit: page.limit } : { limit: page.limit, beforeId },
  );
  return c.json(
    pageOf(rows, page, (e) => String(e.id), eventView),
    200,
  );
});
