import type { Context, MiddlewareHandler } from 'hono';
import { recordAuditEvent } from '../../db/queries/audit';
import type { AppEnv } from '../env';

const verbs: Record<string, string> = {
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Route params that name a scope, whatever the route family. */
const scopeParams = { workspace: 'ws', cluster: 'c', namespace: 'ns' } as const;

/**
 * The resource a route acts on is its last literal path segment; its name is
 * the parameter right after it (`/workspaces/:ws/members/:user` → members,
 * <user>). Handlers that create things set `audit.name` themselves.
 */
function describeRoute(c: Context<AppEnv>): { resource: string; name?: string } {
  const segments = c.req.routePath.split('/').filter(Boolean);
  let resource = segments.at(-1) ?? '';
  let name: string | undefined;
  const last = segments.at(-1);
  if (last?.startsWith(':')) {
    name = c.req.param(last.slice(1));
    resource = segments.at(-2) ?? '';
  }
  return name === undefined ? { resource } : { resource, name };
}

/**
 * Records every mutating API request, whatever its outcome, after the
 * response is known. The write is awaited: a mutation that cannot be
 * audited must not look successful.
 */
export const audit: MiddlewareHandler<AppEnv> = async function audit(c, next) {
  const verb = verbs[c.req.method];
  c.set('audit', {});
  await next();
  const draft = c.get('audit');
  if (!verb || draft.skip) return;
  const route = describeRoute(c);
  const status = c.res.status;
  const principal = c.get('principal') as AppEnv['Variables']['principal'] | undefined;
  await recordAuditEvent(c.get('db'), {
    time: new Date(),
    user: principal?.username ?? null,
    verb,
    resource: draft.resource ?? route.resource,
    name: draft.name ?? route.name ?? null,
    workspace: draft.workspace ?? c.req.param(scopeParams.workspace) ?? null,
    cluster: draft.cluster ?? c.req.param(scopeParams.cluster) ?? null,
    namespace: draft.namespace ?? c.req.param(scopeParams.namespace) ?? null,
    outcome: status < 400 ? 'success' : status === 401 || status === 403 ? 'denied' : 'failure',
    status,
    requestId: c.get('requestId'),
    sourceIp: c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
  });
};
