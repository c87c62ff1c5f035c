import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDeepStrictEqual } from 'node:util';
import { type AdmissionCall, admitPodCreate } from './admission';
import { storedRbacAllows } from './cluster-rbac';
import { apiGroupList, apiResourceList, apiVersions } from './discovery';
import { edgeStreamRefusal } from './edge-stream';
import { readBody, sendJson, sendStatus } from './http-util';
import { handleList, handleWatch, type ListWatchContext } from './list-watch';
import { nodeMetricsList, podMetrics, podMetricsList } from './metrics';
import { type RbacTable, rbacAllows } from './rbac';
import { apiVersionOf, type ResourceDef } from './resources';
import { serverSideApply, trackUpdate } from './server-side-apply';
import type { ServingModel } from './serving';
import { statuses } from './status';
import { StoreError } from './store';
import type { KubeObject } from './types';

/** One request as the emulator saw it: tests assert on identity and impersonation. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  /** The authenticated user behind the bearer token, or undefined (401). */
  user?: string;
  impersonateUser?: string;
  impersonateGroups: string[];
  verb?: string;
  resource?: string;
  namespace?: string;
  status?: number;
  at: number;
}

export interface ServerContext extends ListWatchContext {
  /** bearer token -> user name */
  tokens: Map<string, string>;
  rbac?: RbacTable;
  /** Impersonated groups that may do anything (the edge's admin group, system:masters). */
  adminGroups: string[];
  requests: RecordedRequest[];
  maxRecordedRequests: number;
  version: { gitVersion: string; platform: string };
  /** Group-versions served (per Kubernetes version) and the agent's forbidden lists. */
  serving: ServingModel;
  /** False: KubeEdge's cloudStream/edgeStream are off, logs of pods on edge nodes fail as the API server fails them. */
  edgeStream: boolean;
  /** Validating webhook calls made on pod creates, newest last. */
  admissionCalls: AdmissionCall[];
}

interface Route {
  group: string;
  version: string;
  plural: string;
  namespace?: string;
  name?: string;
  subresource?: string;
}

const METRICS = 'metrics.k8s.io';

/** Splits `/api/v1/...` and `/apis/<g>/<v>/...` into group, version and the rest. */
function parseApiPath(
  segments: string[],
): { group: string; version: string; rest: string[] } | undefined {
  if (segments[0] === 'api' && segments[1])
    return { group: '', version: segments[1], rest: segments.slice(2) };
  if (segments[0] === 'apis' && segments[1] && segments[2]) {
    return { group: segments[1], version: segments[2], rest: segments.slice(3) };
  }
  return undefined;
}

function parseRoute(group: string, version: string, rest: string[]): Route | undefined {
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const [, namespace, plural, name, subresource] = rest;
    if (!plural) return undefined;
    return { group, version, plural, namespace, name, subresource };
  }
  const [plural, name, subresource] = rest;
  if (!plural) return undefined;
  return { group, version, plural, name, subresource };
}

function verbOf(method: string, route: Route, query: URLSearchParams): string {
  const watch = query.get('watch') === '1' || query.get('watch') === 'true';
  switch (method) {
    case 'GET':
      return route.name ? 'get' : watch ? 'watch' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return method.toLowerCase();
  }
}

function header(req: IncomingMessage, name: string): string[] {
  const value = req.headers[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

function record(ctx: ServerContext, entry: RecordedRequest): void {
  ctx.requests.push(entry);
  if (ctx.requests.length > ctx.maxRecordedRequests)
    ctx.requests.splice(0, ctx.requests.length - ctx.maxRecordedRequests);
}

export function createHandler(ctx: ServerContext) {
  return async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const entry: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.search,
      impersonateUser: header(req, 'impersonate-user')[0],
      impersonateGroups: header(req, 'impersonate-group'),
      at: Date.now(),
    };
    record(ctx, entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
    entry.status = undefined;

    const auth = req.headers.authorization ?? '';
    const user = auth.startsWith('Bearer ') ? ctx.tokens.get(auth.slice(7)) : undefined;
    if (!user) return sendStatus(res, statuses.unauthorized());
    entry.user = user;

    try {
      await route(ctx, req, res, url, entry);
    } catch (err) {
      if (err instanceof StoreError) {
        if (err.reason === 'NotFound')
          return sendStatus(res, statuses.notFound(err.plural, err.objectName));
        if (err.reason === 'AlreadyExists')
          return sendStatus(res, statuses.alreadyExists(err.plural, err.objectName));
        return sendStatus(res, statuses.conflict(err.plural, err.objectName));
      }
      if (!res.headersSent)
        sendStatus(res, {
          ...statuses.badRequest(String(err)),
          code: 500,
          reason: 'InternalError',
        });
      else res.destroy();
    }
  };
}

async function route(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  entry: RecordedRequest,
): Promise<void> {
  const segments = url.pathname.split('/').filter(Boolean);
  if (url.pathname === '/version') {
    const [major, minor] = ctx.version.gitVersion.replace(/^v/, '').split('.');
    return sendJson(res, 200, {
      major,
      minor,
      ...ctx.version,
      goVersion: 'go1.22.0',
      compiler: 'gc',
    });
  }
  if (url.pathname === '/api') return sendJson(res, 200, apiVersions());
  if (url.pathname === '/apis') return sendJson(res, 200, apiGroupList(ctx.serving));
  if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    return void res.end('ok');
  }
  const api = parseApiPath(segments);
  if (!api) return sendStatus(res, statuses.pathNotFound(url.pathname));
  if (api.rest.length === 0) {
    const doc = apiResourceList(api.group, api.version, ctx.serving);
    return doc ? sendJson(res, 200, doc) : sendStatus(res, statuses.pathNotFound(url.pathname));
  }
  const r = parseRoute(api.group, api.version, api.rest);
  if (!r) return sendStatus(res, statuses.pathNotFound(url.pathname));
  const verb = verbOf(req.method ?? 'GET', r, url.searchParams);
  const resource = r.subresource ? `${r.plural}/${r.subresource}` : r.plural;
  entry.verb = verb;
  entry.resource = resource;
  entry.namespace = r.namespace ?? (r.plural === 'namespaces' ? r.name : undefined);

  // Impersonated requests are authorized as a cluster would: the stored
  // (Cluster)RoleBindings decide, the admin group may do anything, and the
  // optional per-user table of older tests may allow more.
  const impersonated = entry.impersonateUser !== undefined || entry.impersonateGroups.length > 0;
  if (impersonated && !entry.impersonateGroups.some((g) => ctx.adminGroups.includes(g))) {
    const request = {
      user: entry.impersonateUser ?? '',
      groups: entry.impersonateGroups,
      verb,
      resource,
      namespace: entry.namespace,
    };
    const allowed =
      (ctx.rbac !== undefined && rbacAllows(ctx.rbac, request)) ||
      storedRbacAllows(ctx.store, { ...request, group: r.group, name: r.name });
    if (!allowed)
      return sendStatus(
        res,
        statuses.forbidden(entry.impersonateUser ?? '', verb, resource, r.group, r.namespace),
      );
  }

  // RBAC on the agent's own ServiceAccount: one list it may not read.
  if (!entry.impersonateUser && ctx.serving.forbidden.has(r.plural))
    return sendStatus(
      res,
      statuses.forbidden(entry.user ?? '', verb, resource, r.group, r.namespace),
    );
  if (r.group === METRICS) {
    if (!ctx.serving.metricsServed()) return sendStatus(res, statuses.pathNotFound(url.pathname));
    return serveMetrics(ctx, res, r, url);
  }
  const def = ctx.serving.resolve(r.group, r.version, r.plural);
  if (!def) return sendStatus(res, statuses.pathNotFound(url.pathname));
  if (def.namespaced === false && r.namespace !== undefined)
    return sendStatus(res, statuses.pathNotFound(url.pathname));

  if (r.subresource === 'log' && def.plural === 'pods' && r.namespace && r.name) {
    return servePodLog(ctx, req, res, r.namespace, r.name, url.searchParams);
  }
  if (r.subresource) return sendStatus(res, statuses.pathNotFound(url.pathname));

  switch (verb) {
    case 'list':
      return handleList(ctx, def, r.namespace, url.searchParams, res);
    case 'watch':
      return handleWatch(ctx, def, r.namespace, url.searchParams, req, res);
    case 'get': {
      const obj = ctx.store.get(def.plural, r.namespace, r.name as string);
      return obj
        ? sendJson(res, 200, obj)
        : sendStatus(res, statuses.notFound(def.plural, r.name as string));
    }
    case 'create':
    case 'update':
    case 'patch':
      return writeObject(ctx, req, res, def, r, verb, url.searchParams);
    case 'delete': {
      if (!r.name) return sendStatus(res, statuses.methodNotAllowed());
      const expected = await deletePrecondition(req);
      const current = ctx.store.get(def.plural, r.namespace, r.name);
      if (current && expected && current.metadata.resourceVersion !== expected)
        return sendStatus(res, statuses.conflict(def.plural, r.name));
      return sendJson(res, 200, ctx.store.delete(def.plural, r.namespace, r.name));
    }
    default:
      return sendStatus(res, statuses.methodNotAllowed());
  }
}

/** DeleteOptions.preconditions.resourceVersion of a DELETE body, if it sent one. */
async function deletePrecondition(req: IncomingMessage): Promise<string | undefined> {
  const text = await readBody(req).catch(() => '');
  if (!text) return undefined;
  try {
    const body = JSON.parse(text) as { preconditions?: { resourceVersion?: unknown } };
    const rv = body.preconditions?.resourceVersion;
    return typeof rv === 'string' && rv ? rv : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386 JSON merge patch (strategic merge patches are treated the same way here). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

async function writeObject(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  def: ResourceDef,
  r: Route,
  verb: 'create' | 'update' | 'patch',
  query: URLSearchParams,
): Promise<void> {
  const contentType = req.headers['content-type'] ?? '';
  let body: unknown;
  try {
    body = JSON.parse(await readBody(req));
  } catch {
    return sendStatus(
      res,
      statuses.badRequest(
        contentType.includes('apply-patch')
          ? 'the emulator accepts apply configurations written as JSON (which is YAML) only'
          : 'request body is not valid JSON',
      ),
    );
  }
  if (!isObject(body))
    return sendStatus(res, statuses.badRequest('request body must be an object'));
  // Who an ordinary write says it is (managedFields); kubectl and client-go always send one.
  const manager = query.get('fieldManager') || 'unknown';
  if (verb === 'patch' && contentType.includes('apply-patch')) {
    if (!r.name) return sendStatus(res, statuses.methodNotAllowed());
    return applyObject(ctx, res, def, r as Route & { name: string }, body, query);
  }
  if (verb === 'patch') {
    if (!r.name) return sendStatus(res, statuses.methodNotAllowed());
    if (contentType.includes('json-patch')) {
      return sendStatus(res, {
        ...statuses.badRequest('json-patch is not supported by the emulator'),
        code: 415,
        reason: 'UnsupportedMediaType',
      });
    }
    const current = ctx.store.get(def.plural, r.namespace, r.name);
    if (!current) return sendStatus(res, statuses.notFound(def.plural, r.name));
    const merged = mergePatch(current, body) as KubeObject;
    merged.metadata = {
      ...merged.metadata,
      name: r.name,
      namespace: r.namespace,
      resourceVersion: current.metadata.resourceVersion,
    };
    const tracked = trackUpdate(current, merged, manager, ctx.store.now());
    return sendJson(res, 200, ctx.store.update(def.plural, tracked));
  }
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (r.namespace !== undefined) {
    if (metadata.namespace !== undefined && metadata.namespace !== r.namespace) {
      return sendStatus(
        res,
        statuses.badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        ),
      );
    }
    metadata.namespace = r.namespace;
  }
  if (typeof metadata.name !== 'string' && typeof metadata.generateName !== 'string') {
    return sendStatus(res, statuses.badRequest('name or generateName is required'));
  }
  const obj = { ...body, metadata } as KubeObject;
  if (verb === 'create') {
    if (r.name) return sendStatus(res, statuses.methodNotAllowed());
    if (def.namespaced && !ctx.store.get('namespaces', undefined, r.namespace ?? '')) {
      return sendStatus(res, statuses.notFound('namespaces', r.namespace ?? ''));
    }
    if (def.plural === 'pods') {
      // As the API server does: the UID is set before validating admission, which sees it.
      obj.metadata.uid = randomUUID();
      const user = String(req.headers['impersonate-user'] ?? 'emulator-user');
      const refused = await admitPodCreate(ctx.store, obj, user, ctx.admissionCalls);
      if (refused) return sendStatus(res, refused);
    }
    return sendJson(res, 201, ctx.store.create(def.plural, obj));
  }
  if (!r.name || metadata.name !== r.name) {
    return sendStatus(
      res,
      statuses.badRequest('the name of the object does not match the name on the URL'),
    );
  }
  const before = ctx.store.get(def.plural, r.namespace, r.name);
  const tracked = before ? trackUpdate(before, obj, manager, ctx.store.now()) : obj;
  return sendJson(res, 200, ctx.store.update(def.plural, tracked));
}

/** PATCH application/apply-patch+yaml: server-side apply (see server-side-apply.ts). */
async function applyObject(
  ctx: ServerContext,
  res: ServerResponse,
  def: ResourceDef,
  r: Route & { name: string },
  body: Record<string, unknown>,
  query: URLSearchParams,
): Promise<void> {
  const manager = query.get('fieldManager');
  if (!manager)
    return sendStatus(
      res,
      statuses.badRequest('PATCH, fieldManager: Required value: is required for apply patch'),
    );
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (body.apiVersion !== apiVersionOf(def) || body.kind !== def.kind)
    return sendStatus(
      res,
      statuses.badRequest(
        `apply configuration must be ${def.kind} (${apiVersionOf(def)}), not ${String(body.kind)} (${String(body.apiVersion)})`,
      ),
    );
  if (metadata.name !== r.name)
    return sendStatus(
      res,
      statuses.badRequest('the name of the object does not match the name on the URL'),
    );
  if (metadata.namespace !== undefined && metadata.namespace !== r.namespace)
    return sendStatus(
      res,
      statuses.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      ),
    );
  if (def.namespaced && !ctx.store.get('namespaces', undefined, r.namespace ?? ''))
    return sendStatus(res, statuses.notFound('namespaces', r.namespace ?? ''));
  const current = ctx.store.get(def.plural, r.namespace, r.name);
  const force = query.get('force') === 'true' || query.get('force') === '1';
  const result = serverSideApply(
    current,
    { ...body, metadata: { ...metadata, name: r.name } } as KubeObject,
    { manager, force, now: ctx.store.now() },
  );
  if ('status' in result) return sendStatus(res, result.status);
  const obj = result.object;
  obj.metadata = { ...obj.metadata, name: r.name, namespace: r.namespace };
  if (!current) return sendJson(res, 201, ctx.store.create(def.plural, obj));
  // Unchanged: no write, no new resourceVersion, no watch event (as the real server).
  const { managedFields: _a, ...was } = current.metadata;
  const { managedFields: _b, ...now } = obj.metadata;
  if (isDeepStrictEqual({ ...current, metadata: was }, { ...obj, metadata: now }))
    return sendJson(res, 200, current);
  obj.metadata.resourceVersion = current.metadata.resourceVersion;
  return sendJson(res, 200, ctx.store.update(def.plural, obj));
}

function servePodLog(
  ctx: ServerContext,
  req: IncomingMessage,
  res: ServerResponse,
  namespace: string,
  name: string,
  query: URLSearchParams,
) {
  if (!ctx.store.get('pods', namespace, name))
    return sendStatus(res, statuses.notFound('pods', name));
  const refused = ctx.edgeStream
    ? undefined
    : edgeStreamRefusal(ctx.store, namespace, name, query.get('container'));
  if (refused) return sendStatus(res, refused);
  const tail = query.get('tailLines');
  let lines = ctx.store.podLogLines(namespace, name);
  if (tail) lines = lines.slice(-Number(tail));
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.write(lines.map((l) => `${l}\n`).join(''));
  if (query.get('follow') !== 'true' && query.get('follow') !== '1') return void res.end();
  const stop = ctx.store.followPodLog(namespace, name, (line) => {
    if (line === null) {
      stop();
      res.end();
    } else res.write(`${line}\n`);
  });
  req.on('close', stop);
  res.on('close', stop);
}

function serveMetrics(ctx: ServerContext, res: ServerResponse, r: Route, url: URL) {
  if (r.version !== 'v1beta1') return sendStatus(res, statuses.pathNotFound(url.pathname));
  if (r.plural === 'nodes') {
    const list = nodeMetricsList(ctx.store, r.name);
    if (!r.name) return sendJson(res, 200, list);
    const item = list.items[0];
    return item ? sendJson(res, 200, item) : sendStatus(res, statuses.notFound('nodes', r.name));
  }
  if (r.plural === 'pods') {
    if (!r.name) {
      const limit = Number(url.searchParams.get('limit') ?? 0) || undefined;
      const page = { limit, continue: url.searchParams.get('continue') ?? undefined };
      return sendJson(res, 200, podMetricsList(ctx.store, r.namespace, page));
    }
    const pod = ctx.store.get('pods', r.namespace, r.name);
    return pod
      ? sendJson(res, 200, podMetrics(ctx.store, pod))
      : sendStatus(res, statuses.notFound('pods', r.name));
  }
  return sendStatus(res, statuses.pathNotFound(url.pathname));
}
