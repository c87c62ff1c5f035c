import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agents/log';
import { type ClusterProxy, createProxy, ProxyError } from '../../agents/proxy';
import type { RequestFrame } from '../../protocol/tunnel';

/*
 * Attack 10 (issue #12), the agent's side: whatever path a request frame
 * carries, the agent sends it to its API server (or Prometheus) under the
 * configured base path, never to another host and never above the base; it
 * refuses `//`, dot segments and encoded separators itself, in case an edge
 * without the check talks to it.
 */

interface Seen {
  method: string;
  url: string;
  authorization?: string;
}

/** An HTTP server that records what reached it and answers 200. */
async function recordingServer() {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    seen,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type Recorder = Awaited<ReturnType<typeof recordingServer>>;
let apiServer: Recorder;
let prometheus: Recorder;
let elsewhere: Recorder;
/** API server behind a base path (as through Rancher), and one at the root (in-cluster). */
let based: ClusterProxy;
let bare: ClusterProxy;
const BASE = '/k8s/clusters/c-1';

function kubeConfigFor(server: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'agent', token: 'agent-service-account-token' }],
    contexts: [{ name: 'c', cluster: 'c', user: 'agent' }],
    currentContext: 'c',
  });
  return kubeConfig;
}

beforeAll(async () => {
  [apiServer, prometheus, elsewhere] = await Promise.all([
    recordingServer(),
    recordingServer(),
    recordingServer(),
  ]);
  based = createProxy({
    kubeConfig: kubeConfigFor(`http://127.0.0.1:${apiServer.port}${BASE}`),
    prometheusUrl: `http://127.0.0.1:${prometheus.port}/prom`,
    log: silentLogger,
  });
  bare = createProxy({
    kubeConfig: kubeConfigFor(`http://127.0.0.1:${apiServer.port}`),
    prometheusUrl: `http://127.0.0.1:${prometheus.port}`,
    log: silentLogger,
  });
});

afterAll(async () => {
  based.close();
  bare.close();
  await Promise.all([apiServer, prometheus, elsewhere].map((s) => s.close()));
});

const frame = (path: string, target: RequestFrame['target'] = 'kube'): RequestFrame => ({
  type: 'request',
  id: 1,
  target,
  method: 'GET',
  path,
  headers: [['accept', 'application/json']],
  ...(target === 'kube' ? { impersonate: { user: 'alice', groups: [] } } : {}),
  body: false,
  window: 1024 * 1024,
});

/** What happened to `path`: refused by the agent, or the URL each server received. */
async function send(
  path: string,
  target: RequestFrame['target'] = 'kube',
  proxy: ClusterProxy = based,
) {
  const before = [apiServer, prometheus, elsewhere].map((s) => s.seen.length);
  let refused: ProxyError | undefined;
  try {
    const response = await proxy.open(frame(path, target), null, new AbortController().signal);
    response.body.resume();
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error;
    refused = error;
  }
  const [api, prom, other] = [apiServer, prometheus, elsewhere].map((s, i) =>
    s.seen.slice(before[i]),
  );
  return { refused, api: api ?? [], prom: prom ?? [], other: other ?? [] };
}

describe('attack 10: the agent builds request URLs from its base only', () => {
  it('never sends a //host path (and its ServiceAccount token) to another host', async () => {
    for (const path of [
      '//127.0.0.1:PORT/steal',
      '/\\127.0.0.1:PORT/steal',
      '//127.0.0.1:PORT/api/v1/secrets?watch=true',
    ]) {
      const result = await send(path.replace('PORT', String(elsewhere.port)), 'kube', bare);
      expect(result.other, path).toEqual([]);
      expect(result.refused?.code, path).toBe('bad_target');
      expect(result.api, path).toEqual([]);
    }
  });

  it('never walks above its API server base path, in any spelling', async () => {
    const paths = [
      '/../../admin',
      '/api/../../../admin',
      '/./api/v1/pods',
      '/%2e%2e/%2e%2e/admin',
      '/%2E%2e/admin',
      '/.%2E/admin',
      '/api/v1/namespaces/a/pods/x/..%2f..%2f..%2fsecrets',
      '/api/v1/namespaces%2Fkube-system/secrets',
      '/api/v1/%5c..%5cadmin',
      '/api/v1/%252e%252e/secrets',
      '/api//v1/pods',
    ];
    for (const proxy of [based, bare])
      for (const path of paths) {
        const result = await send(path, 'kube', proxy);
        expect(result.refused?.code, path).toBe('bad_target');
        expect(result.refused?.message, path).toMatch(/path/);
        expect(result.api, path).toEqual([]);
      }
  });

  it('sends ordinary paths under the base, query strings untouched', async () => {
    const result = await send(
      '/api/v1/namespaces/a/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb&fieldSelector=x/../y',
    );
    expect(result.refused).toBeUndefined();
    expect(result.api).toEqual([
      {
        method: 'GET',
        url: `${BASE}/api/v1/namespaces/a/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb&fieldSelector=x/../y`,
        authorization: 'Bearer agent-service-account-token',
      },
    ]);
    expect((await send('/')).api.map((s) => s.url)).toEqual([`${BASE}/`]);
  });

  it('keeps Prometheus requests on its host and under /api/v1', async () => {
    for (const path of [
      '//127.0.0.1:PORT/api/v1/query?query=up',
      '/api/v1/../../-/quit',
      '/api/v1/%2e%2e/%2e%2e/-/quit',
      '/api/v1//query',
    ])
      for (const proxy of [based, bare]) {
        const result = await send(
          path.replace('PORT', String(elsewhere.port)),
          'prometheus',
          proxy,
        );
        expect(result.refused?.code, path).toBe('bad_target');
        expect(result.other, path).toEqual([]);
        expect(result.prom, path).toEqual([]);
      }
    const ok = await send('/api/v1/query?query=up', 'prometheus');
    expect(ok.prom.map((s) => s.url)).toEqual(['/prom/api/v1/query?query=up']);
  });
});
