import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { proxyPathProblem, rawTarget } from '../../protocol/proxy-path';
import type { AppEnv } from '../env';
import { onNotFound } from '../error-handlers';
import { ApiError, notFound, validationError } from '../errors';
import { bearerAuth, createRouter } from '../openapi';
import { namespacesCallerMay } from '../rules/access';
import { promqlProblem, rulesOnError } from '../rules/problems';
import { type CallerScope, scopeForCaller } from '../rules/scope-caller';
import { clusterAccess, requireClusterWide } from './access';
import { badProxyPath, requireProxyablePath } from './proxy-path-guard';
import { clusterNameParam } from './schemas';
import { proxyThroughTunnel } from './tunnel-stub';

const instantQuery = z.object({
  query: z
    .string()
    .min(1)
    .max(16 * 1024),
  time: z.string().max(64).optional(),
  timeout: z.string().max(64).optional(),
  namespace: z.string().max(63).optional().openapi({
    description:
      'Namespace members: read only this one of your namespaces (default: all of them). Ignored for cluster readers.',
  }),
});
const rangeQuery = z.object({
  query: z
    .string()
    .min(1)
    .max(16 * 1024),
  start: z.string().min(1).max(64),
  end: z.string().min(1).max(64),
  step: z.string().min(1).max(64),
  timeout: z.string().max(64).optional(),
  namespace: z.string().max(63).optional(),
});

const kinds = { query: instantQuery, query_range: rangeQuery } as const;
type Kind = keyof typeof kinds;

const promBody = z.looseObject({ status: z.string() }).openapi('PrometheusResponse');

/**
 * Cluster readers query unscoped; namespace members (issue #15) read only
 * the namespaces they may `get monitoring` in, or the one `?namespace=`
 * picks among them; anyone else is 403 (they know the cluster exists).
 */
async function callerScope(c: Context<AppEnv>, access: Awaited<ReturnType<typeof clusterAccess>>) {
  const principal = c.get('principal');
  const allowed = await namespacesCallerMay(c.get('db'), principal, access, 'get', 'monitoring');
  if (allowed === undefined) return { kind: 'cluster' } satisfies CallerScope;
  if (allowed.length === 0) requireClusterWide(principal, access, 'get', 'monitoring');
  const picked = c.req.query('namespace');
  if (picked !== undefined && !allowed.includes(picked)) throw notFound(`Namespace "${picked}"`);
  return { kind: 'namespaces', namespaces: picked ? [picked] : allowed } satisfies CallerScope;
}

/** Prometheus answers JSON with 200, 400 or 422; its body is passed through untouched. */
export async function passthrough(c: Context<AppEnv>, kind: Kind): Promise<Response> {
  // The route matched a decoded path; the raw one must be clean too (no `%2f`, no dot segments).
  const { query: search } = requireProxyablePath(c.req.url);
  const params = new URLSearchParams(search);
  // A POSTed form (Grafana's default) is read like Prometheus reads it: its fields join the URL's.
  if (c.req.method === 'POST') {
    c.get('audit').skip = true; // a query sent as a form is a read, not a mutation
    for (const [key, value] of new URLSearchParams(await c.req.text())) params.set(key, value);
  }
  const parsed = kinds[kind].safeParse(Object.fromEntries(params));
  if (!parsed.success)
    throw validationError(parsed.error, c.req.method === 'POST' ? 'body' : 'query');
  const principal = c.get('principal');
  const access = await clusterAccess(c.get('db'), principal, c.req.param('c') ?? '');
  const scope = await callerScope(c, access);
  if (scope.kind === 'namespaces') {
    const scoped = scopeForCaller(parsed.data.query, scope);
    if (!scoped.ok) throw promqlProblem(scoped.code, scoped.error, 'query');
    params.set('query', scoped.expr);
    params.delete('namespace');
  }
  const response = await proxyThroughTunnel(
    c.env,
    access.cluster.id,
    {
      target: 'prometheus',
      method: 'GET',
      // Always a GET upstream: the agent lets only reads reach Prometheus.
      path: `/api/v1/${kind}?${params.toString()}`,
      headers: [['accept', 'application/json']],
    },
    null,
  );
  if (![200, 400, 422].includes(response.status)) {
    await response.body?.cancel();
    throw new ApiError(502, `Prometheus answered ${response.status}.`);
  }
  return response;
}

const router = createRouter();
router.onError(rulesOnError);

// Documented from the zod schemas, served as a raw passthrough of Prometheus' bytes.
for (const kind of Object.keys(kinds) as Kind[]) {
  router.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: `/api/v1/clusters/{c}/monitoring/api/v1/${kind}`,
      tags: ['monitoring'],
      summary: `PromQL ${kind} against the cluster's Prometheus, through the tunnel`,
      security: bearerAuth,
      request: { params: clusterNameParam, query: kinds[kind] },
      responses: {
        200: {
          description: "Prometheus' own response format (also for its 400/422 errors).",
          content: { 'application/json': { schema: promBody } },
        },
      },
    }),
  );
  router.get(`/api/v1/clusters/:c/monitoring/api/v1/${kind}`, (c) => passthrough(c, kind));
  // The same under /prometheus, so `/api/v1/clusters/<c>/prometheus` is a Grafana data source.
  router.openAPIRegistry.registerPath(
    createRoute({
      method: 'get',
      path: `/api/v1/clusters/{c}/prometheus/api/v1/${kind}`,
      tags: ['monitoring'],
      summary: `PromQL ${kind} (alias of …/monitoring/api/v1/${kind}, for Prometheus data sources)`,
      security: bearerAuth,
      request: { params: clusterNameParam, query: kinds[kind] },
      responses: {
        200: {
          description: "Prometheus' own response format (also for its 400/422 errors).",
          content: { 'application/json': { schema: promBody } },
        },
      },
    }),
  );
  router.get(`/api/v1/clusters/:c/prometheus/api/v1/${kind}`, (c) => passthrough(c, kind));
  router.post(`/api/v1/clusters/:c/prometheus/api/v1/${kind}`, (c) => passthrough(c, kind));
}

/*
 * Anything else under the passthrough: a path that only a raw client sends
 * (`//`, dot segments, encoded separators) is a 400 like on the kube proxy,
 * so probing with such spellings learns the same thing everywhere; the rest
 * is the 404 it always was.
 */
router.all('/api/v1/clusters/:c/monitoring/*', (c) => {
  const problem = proxyPathProblem(rawTarget(c.req.url).path);
  if (problem) throw badProxyPath(problem);
  return onNotFound(c);
});

export const clusterMonitoringRoutes = router;
