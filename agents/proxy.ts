import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { KubeConfig } from '@kubernetes/client-node';
import { isStrippedRequestHeader, type RequestFrame } from '../protocol/tunnel';
import { createKubeAgent, currentCluster, type HttpsOptions } from './kube';
import type { Logger } from './log';
import { upstreamUrl } from './request-url';

/** The head of an upstream response and its body, still streaming. */
export interface UpstreamResponse {
  status: number;
  headers: [string, string][];
  body: Readable;
}

/** Why a proxied request could not be sent; becomes an ERROR frame for the stream. */
export class ProxyError extends Error {
  constructor(
    readonly code: 'bad_target' | 'upstream_unreachable',
    message: string,
  ) {
    super(message);
    this.name = 'ProxyError';
  }
}

export interface ProxyOptions {
  kubeConfig: KubeConfig;
  prometheusUrl?: string;
  log: Logger;
}

export interface ClusterProxy {
  /**
   * Sends `frame` upstream (kube-apiserver or Prometheus) and resolves with
   * the response head once it arrives; `body` streams the request body.
   */
  open(frame: RequestFrame, body: Readable | null, signal: AbortSignal): Promise<UpstreamResponse>;
  close(): void;
}

/** Raw header pairs as they came (repeated headers stay separate). */
function headerPairs(raw: string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

/** Where a frame's path goes on `base` (its host, under its path), or a `bad_target` refusal. */
function targetUrl(base: URL, path: string): URL {
  const built = upstreamUrl(base, path);
  if (!built.ok) throw new ProxyError('bad_target', `refused path: ${built.problem}`);
  return built.url;
}

function send(
  url: URL,
  options: https.RequestOptions,
  body: Readable | null,
  signal: AbortSignal,
): Promise<UpstreamResponse> {
  const request = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { ...options, signal }, (incoming) =>
      resolve({
        status: incoming.statusCode ?? 502,
        headers: headerPairs(incoming.rawHeaders),
        body: incoming,
      }),
    );
    outgoing.on('error', (error) =>
      reject(new ProxyError('upstream_unreachable', `${url.host}: ${error.message}`)),
    );
    if (body) body.pipe(outgoing);
    else outgoing.end();
  });
}

/**
 * Serves the edge's proxied requests. Kubernetes requests go out with the
 * agent's own credentials plus `Impersonate-User`/`Impersonate-Group` of the
 * edge-authenticated caller, so the cluster's RBAC applies to the caller;
 * whatever Authorization or Impersonate-* headers the caller sent are dropped.
 */
export function createProxy(options: ProxyOptions): ClusterProxy {
  const { kubeConfig, log } = options;
  const cluster = currentCluster(kubeConfig);
  const server = new URL(cluster.server);
  const prometheus = options.prometheusUrl ? new URL(options.prometheusUrl) : undefined;
  let kubeAgent: http.Agent | undefined;
  const plainAgent = new http.Agent({ keepAlive: true });
  const tlsAgent = new https.Agent({ keepAlive: true });

  async function kubeOptions(): Promise<HttpsOptions> {
    // Per request: file-based ServiceAccount tokens rotate under us.
    const opts: HttpsOptions = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    kubeAgent ??= createKubeAgent(cluster, opts);
    return opts;
  }

  function forwardedHeaders(frame: RequestFrame): Record<string, string | string[]> {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of frame.headers) {
      if (isStrippedRequestHeader(name)) continue;
      const key = name.toLowerCase();
      const previous = headers[key];
      headers[key] =
        previous === undefined
          ? value
          : Array.isArray(previous)
            ? [...previous, value]
            : [previous, value];
    }
    return headers;
  }

  async function openKube(frame: RequestFrame, body: Readable | null, signal: AbortSignal) {
    if (!frame.impersonate)
      throw new ProxyError('bad_target', 'kube requests must name the caller to impersonate');
    const opts = await kubeOptions();
    const headers: http.OutgoingHttpHeaders = {
      ...forwardedHeaders(frame),
      ...(opts.headers as http.OutgoingHttpHeaders | undefined),
      'impersonate-user': frame.impersonate.user,
    };
    if (frame.impersonate.groups.length) headers['impersonate-group'] = frame.impersonate.groups;
    if (opts.auth) headers.authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    if (frame.body) headers['transfer-encoding'] = 'chunked';
    const url = targetUrl(server, frame.path);
    return send(url, { method: frame.method, headers, agent: kubeAgent }, body, signal);
  }

  async function openPrometheus(frame: RequestFrame, signal: AbortSignal) {
    if (!prometheus) throw new ProxyError('bad_target', 'this agent runs without --prometheus-url');
    const base = prometheus.pathname.replace(/\/+$/, '');
    const url = targetUrl(prometheus, frame.path);
    // Checked on the URL as sent (dot segments are refused before it is built).
    if (frame.method !== 'GET' || !url.pathname.startsWith(`${base}/api/v1/`))
      throw new ProxyError('bad_target', 'only GET /api/v1/... is passed to Prometheus');
    const agent = url.protocol === 'https:' ? tlsAgent : plainAgent;
    return send(url, { method: 'GET', headers: forwardedHeaders(frame), agent }, null, signal);
  }

  return {
    async open(frame, body, signal) {
      log.debug('proxy request', {
        id: frame.id,
        target: frame.target,
        method: frame.method,
        path: frame.path.slice(0, 200),
        user: frame.impersonate?.user,
      });
      return frame.target === 'kube'
        ? openKube(frame, body, signal)
        : openPrometheus(frame, signal);
    },
    close() {
      kubeAgent?.destroy();
      plainAgent.destroy();
      tlsAgent.destroy();
    },
  };
}
