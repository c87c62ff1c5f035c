import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { proxyPathProblem, rawTarget } from '../../protocol/proxy-path';
import type { AppEnv } from '../env';
import { onNotFound } from '../error-handlers';
import { ApiError, validationError } from '../errors';
import { bearerAuth, createRouter } from '../openapi';
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
});

const kinds = { query: instantQuery, query_range: rangeQuery } as const;
type Kind = keyof typeof kinds;

const promBody = z.looseObject({ status: z.string() }).openapi('PrometheusResponse');

/** Prometheus answers JSON with 200, 400 or 422; its body is passed through untouched. */
async function passthrough(c: Context<AppEnv>, kind: Kind): Promise<Response> {
  // The route matched a decoded path; the raw one must be clean too (no `%2f`, no dot segments).
  const { query: search } = requireProxyablePath(c.req.url);
  const parsed = kinds[kind].safeParse(c.req.query());
  if (!parsed.success) throw validationError(parsed.error, 'query');
  const principal = c.get('principal');
  const access = await clusterAccess(c.get('db'), principal, c.req.param('c') ?? '');
  requireClusterWide(principal, access, 'get', 'monitoring');
  const response = await proxyThroughTunnel(
    c.env,
    access.cluster.id,
    {
      target: 'prometheus',
      method: 'GET',
      path: `/api/v1/${kind}${search}`,
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
