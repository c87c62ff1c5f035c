import http from 'node:http';
import https from 'node:https';
import type { Cluster } from '@kubernetes/client-node';
// The module itself, not the package index: the index loads every generated API client.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';

/**
 * A minimal kube-apiserver client: client-node's KubeConfig supplies server,
 * credentials and TLS; requests go out on one keep-alive agent and bodies
 * stay streams, so lists and watches are parsed piece by piece instead of
 * being materialized as full objects by the generated API classes.
 */

export interface KubeRequest {
  method?: string;
  /** Absolute API path, e.g. /api/v1/pods. */
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  headers?: Record<string, string | string[]>;
  body?: string;
  signal?: AbortSignal;
}

export interface KubeResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The raw body stream; consume it or call `text()`/`json()`. */
  body: http.IncomingMessage;
  text(): Promise<string>;
  json(): Promise<unknown>;
}

export interface KubeClient {
  /** Base URL of the API server. */
  server: string;
  request(req: KubeRequest): Promise<KubeResponse>;
  /** GET returning parsed JSON, throwing KubeError on non-2xx. */
  getJson(path: string, query?: KubeRequest['query'], signal?: AbortSignal): Promise<unknown>;
  close(): void;
}

/** A non-2xx answer, with the Kubernetes Status reason when there was one. */
export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
    this.name = 'KubeError';
  }
}

export async function kubeErrorFrom(res: KubeResponse, what: string): Promise<KubeError> {
  const text = await res.text().catch(() => '');
  let reason = '';
  let message = text.slice(0, 300);
  try {
    const parsed = JSON.parse(text) as { reason?: unknown; message?: unknown };
    if (typeof parsed.reason === 'string') reason = parsed.reason;
    if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not a Status body
  }
  return new KubeError(res.status, reason, `${what}: ${res.status} ${message}`);
}

function readAll(body: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: Buffer) => chunks.push(c));
    body.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    body.on('error', reject);
    body.on('aborted', () => reject(new Error('response aborted')));
    body.on('close', () => {
      if (!body.complete) reject(new Error('response closed early'));
    });
  });
}

/** Request options as `KubeConfig.applyToHTTPSOptions` fills them. */
export type HttpsOptions = https.RequestOptions & { headers?: http.OutgoingHttpHeaders };

/**
 * kubectl talks plain HTTP to an http:// server (`kubectl proxy` makes such
 * kubeconfigs); client-node refuses to unless the cluster skips TLS
 * verification. There is no TLS to verify on plain HTTP, so http:// clusters
 * are marked that way and nothing else changes.
 */
export function allowPlainHttp(kc: KubeConfig): KubeConfig {
  if (!kc.clusters.some((c) => c.server.startsWith('http:') && !c.skipTLSVerify)) return kc;
  const out = new KubeConfig();
  out.loadFromOptions({
    clusters: kc.clusters.map((c) =>
      c.server.startsWith('http:') ? { ...c, skipTLSVerify: true } : c,
    ),
    users: kc.users,
    contexts: kc.contexts,
    currentContext: kc.currentContext,
  });
  return out;
}

/** The kubeconfig's current cluster; throws when there is none. */
export function currentCluster(kc: KubeConfig): Cluster {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  return cluster;
}

/**
 * A keep-alive agent for the cluster's API server, carrying the kubeconfig's
 * TLS material (`opts` from `applyToHTTPSOptions`) for https servers.
 */
export function createKubeAgent(cluster: Cluster, opts: HttpsOptions): http.Agent {
  if (new URL(cluster.server).protocol !== 'https:') return new http.Agent({ keepAlive: true });
  return new https.Agent({
    keepAlive: true,
    ca: opts.ca,
    cert: opts.cert,
    key: opts.key,
    rejectUnauthorized: opts.rejectUnauthorized,
    servername: cluster.tlsServerName,
  });
}

export function createKubeClient(kc: KubeConfig): KubeClient {
  const cluster = currentCluster(kc);
  const server = cluster.server.replace(/\/+$/, '');
  const base = new URL(server);
  const secure = base.protocol === 'https:';
  let agent: http.Agent | undefined;

  async function options(): Promise<HttpsOptions> {
    // Applied per request: file-based ServiceAccount tokens rotate.
    const opts: HttpsOptions = {};
    await kc.applyToHTTPSOptions(opts);
    agent ??= createKubeAgent(cluster, opts);
    return opts;
  }

  async function request(req: KubeRequest): Promise<KubeResponse> {
    const opts = await options();
    const url = new URL(`${base.pathname.replace(/\/$/, '')}${req.path}`, base);
    for (const [key, value] of Object.entries(req.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: http.OutgoingHttpHeaders = {
      accept: 'application/json',
      ...(opts.headers as http.OutgoingHttpHeaders | undefined),
      ...req.headers,
    };
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const send = secure ? https.request : http.request;
    return new Promise<KubeResponse>((resolve, reject) => {
      if (req.signal?.aborted) return reject(new Error('request aborted'));
      let incoming: http.IncomingMessage | undefined;
      // Aborting destroys without an error: a cancelled watch is not a failure,
      // and Node's signal option raises AbortErrors on emitters nobody listens to.
      const onAbort = () => {
        incoming?.destroy();
        outgoing.destroy();
        if (!incoming) reject(new Error('request aborted'));
      };
      const outgoing = send(url, { method: req.method ?? 'GET', headers, agent }, (response) => {
        incoming = response;
        response.on('close', () => req.signal?.removeEventListener('abort', onAbort));
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: response,
          text: () => readAll(response),
          json: async () => JSON.parse(await readAll(response)) as unknown,
        });
      });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      outgoing.on('error', (err) => {
        req.signal?.removeEventListener('abort', onAbort);
        reject(err);
      });
      outgoing.end(req.body);
    });
  }

  return {
    server,
    request,
    async getJson(path, query, signal) {
      const res = await request({ path, query, signal });
      if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `GET ${path}`);
      return res.json();
    },
    close() {
      agent?.destroy();
    },
  };
}
