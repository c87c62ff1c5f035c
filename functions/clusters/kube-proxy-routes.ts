import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isStrippedRequestHeader, type RequestFrame } from '../../protocol/tunnel';
import { scopesAllow } from '../auth/token-scopes';
import type { AppEnv } from '../env';
import { ApiError, forbidden } from '../errors';
import { explainEdgeStream } from '../monitoring/edge-stream';
import { bearerAuth, createRouter } from '../openapi';
import { settings } from '../settings';
import type { ProxyCall } from '../tunnel/proxied-streams';
import { clusterAccess, impersonationFor } from './access';
import { badProxyPath, requireProxyablePath } from './proxy-path-guard';
import { clusterNameParam } from './schemas';
import { proxyThroughTunnel } from './tunnel-stub';

const methods = new Set<RequestFrame['method']>([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);
const verbs: Record<RequestFrame['method'], string> = {
  GET: 'get',
  HEAD: 'get',
  OPTIONS: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

const isMethod = (m: string): m is RequestFrame['method'] =>
  methods.has(m as RequestFrame['method']);

const kubePrefix = /^\/clusters\/([^/]+)\/k8s(?=\/|$)/;

/**
 * The Kubernetes API path after `/clusters/<c>/k8s`, with its query string,
 * exactly as the client sent it (no re-encoding, no normalisation), once it
 * is one that may be proxied: the cluster segment of the raw path must be
 * the one the route was matched (and is authorised) for, so no spelling
 * can authorise one cluster and carry a path meant for another.
 */
function kubePath(rawUrl: string, cluster: string): string {
  const { path, query } = requireProxyablePath(rawUrl);
  const match = kubePrefix.exec(path);
  let segment: string | undefined;
  try {
    segment = match?.[1] === undefined ? undefined : decodeURIComponent(match[1]);
  } catch {
    segment = undefined;
  }
  if (!match || segment !== cluster)
    throw badProxyPath(`the path does not name cluster "${cluster}" as /clusters/<c>/k8s/...`);
  const rest = path.slice(match[0].length);
  return `${rest || '/'}${query}`;
}

/** Watches and followed logs: long-lived bodies whose every chunk matters at once. */
const isStreaming = (url: URL) =>
  ['true', '1'].includes(url.searchParams.get('watch') ?? '') ||
  ['true', '1'].includes(url.searchParams.get('follow') ?? '');

async function proxyToKube(c: Context<AppEnv>): Promise<Response> {
  const principal = c.get('principal');
  const name = c.req.param('c') ?? '';
  // Before the cluster is even looked up: a refused path says nothing about which clusters exist.
  const path = kubePath(c.req.url, name);
  const access = await clusterAccess(c.get('db'), principal, name);
  const method = c.req.method.toUpperCase();
  if (!isMethod(method)) throw new ApiError(405, `${method} is not proxied.`);
  const url = new URL(c.req.url);
  const verb =
    url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
      ? 'watch'
      : verbs[method];
  // API-token scopes narrow proxy use too (`get:k8s`, `watch:k8s`, ...).
  if (!scopesAllow(principal.scopes, verb, 'k8s'))
    throw forbidden(`This token may not ${verb} k8s.`);
  const headers: [string, string][] = [];
  c.req.raw.headers.forEach((value, key) => {
    if (!isStrippedRequestHeader(key)) headers.push([key, value]);
  });
  const audit = c.get('audit') as AppEnv['Variables']['audit'] | undefined;
  if (audit) {
    audit.resource = 'k8s';
    audit.name = (path.split('?', 1)[0] ?? '').slice(0, 256);
  }
  const hasBody = ['POST', 'PUT', 'PATCH', 'DELETE'].includes(method) && c.req.raw.body !== null;
  const call: ProxyCall = {
    target: 'kube',
    method,
    path,
    headers,
    impersonate: impersonationFor(principal, access, settings(c.env).kubeAdminGroup),
  };
  const response = await explainEdgeStream(
    c.env,
    access.cluster.id,
    call,
    await proxyThroughTunnel(c.env, access.cluster.id, call, hasBody ? c.req.raw.body : null),
  );
  if (isStreaming(url) && !response.headers.has('content-encoding')) {
    // Edge compression (Cloudflare's, and miniflare's imitation of it) buffers
    // small writes: a watch event would sit in the gzip buffer. Marking the
    // body as already encoded keeps every event flowing as it happens.
    response.headers.set('content-encoding', 'identity');
    response.headers.set('cache-control', 'no-transform');
  }
  return response;
}

const router = createRouter();

// Documented for discovery; served by the catch-all handlers below.
router.openAPIRegistry.registerPath(
  createRoute({
    method: 'get',
    path: '/clusters/{c}/k8s/{path}',
    tags: ['clusters'],
    summary: 'Kubernetes API of the cluster, through its tunnel (any method, watches and logs -f)',
    description:
      'Use as a kubectl server: `kubectl --server https://<edge>/clusters/<c>/k8s --token <token>`. The agent sends the request with its ServiceAccount impersonating the caller (Impersonate-User/Group); the caller token never leaves the edge.',
    security: bearerAuth,
    request: {
      params: clusterNameParam.extend({
        path: z.string().openapi({ param: { name: 'path', in: 'path' }, example: 'api/v1/pods' }),
      }),
    },
    responses: {
      200: { description: "The Kubernetes API server's own response." },
      503: { description: 'No agent of the cluster is connected.' },
    },
  }),
);

/**
 * `/clusters/<c>/k8s/<kube API path>`: any Kubernetes API request, carried
 * through the tunnel and sent by the agent impersonating the caller, so
 * `kubectl --server https://<edge>/clusters/<c>/k8s --token <JWT>` works.
 */
export const kubeProxyRoutes = router
  .all('/clusters/:c/k8s', proxyToKube)
  .all('/clusters/:c/k8s/*', proxyToKube);
