import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import worker from '../../../functions/index';
import { connectAgent, type TestAgent } from '../support/agent-socket';
import { api, type Fixture, fetchWorker, type Persona, seedFixture } from '../support/fixture';

/*
 * Attack 10 (issue #12): proxy paths with `//` or dot segments. A path that
 * reaches the agent as `//host/...` made it send the request, with its own
 * ServiceAccount token, to that host; dot segments walk out of the API base
 * path or the Prometheus API. The edge refuses them with 400 before the
 * tunnel, whatever spelling the client used.
 */

let fx: Fixture;
let east: TestAgent;
let west: TestAgent;

beforeAll(async () => {
  fx = await seedFixture();
  for (const name of ['east', 'west'] as const) {
    const rotated = await api('POST', `/api/v1/clusters/${name}/join-token`, fx.as('admin'));
    expect(rotated.status).toBe(200);
    const agent = await connectAgent(
      (rotated.body as { joinToken: string }).joinToken,
      `${name}-agent`,
    );
    if (name === 'east') east = agent;
    else west = agent;
  }
});

/**
 * A request whose `url` is exactly `rawPath` on the edge's origin, as a raw
 * client (`curl --path-as-is`, a hand-made kubectl request) puts it on the
 * wire and as the worker sees it when nothing in front normalizes URLs (a
 * zone with URL normalization off). `new Request()` would resolve dot
 * segments first, so the real request is wrapped and only `url` differs.
 */
function rawRequest(rawPath: string, headers: Record<string, string>): Request {
  const real = new Request(`https://edge.test${rawPath}`, { headers });
  const url = `https://edge.test${rawPath}`;
  return new Proxy(real, {
    get(target, key) {
      if (key === 'url') return url;
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function fetchRaw(rawPath: string, who: Persona): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(rawRequest(rawPath, fx.as(who)), env, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

/**
 * Sends the request; if it hangs, it is waiting at an agent: fail with what
 * the agent received (answering it, so the test ends with the finding and
 * not a timeout).
 */
async function outcome(send: () => Promise<Response>): Promise<Response> {
  const pending = send();
  const settled = await Promise.race([
    pending,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1500)),
  ]);
  if (settled) return settled;
  for (const agent of [east, west]) {
    const forwarded = await agent.nextOf('request', 200).catch(() => undefined);
    if (!forwarded) continue;
    await agent.send({ type: 'response', id: forwarded.id, status: 200, headers: [] });
    await agent.send({ type: 'end', id: forwarded.id });
    await pending;
    throw new Error(`forwarded to an agent as ${forwarded.target} ${forwarded.path}`);
  }
  return pending;
}

async function expectBadPath(res: Response) {
  expect(res.status).toBe(400);
  const body = (await res.json()) as { code: string; message: string };
  expect(body.code).toBe('bad_proxy_path');
  expect(body.message).toMatch(/path/);
}

const kubeSpellings = [
  // survive every URL parser: empty segments and encoded separators
  '/clusters/east/k8s//evil.example/steal',
  '/clusters/east/k8s//127.0.0.1:10250/pods',
  '/clusters/east/k8s/api//v1/pods',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/pods/x/..%2f..%2f..%2fsecrets',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/pods/x/%2e%2e%2F%2E%2E%2Fsecrets',
  '/clusters/east/k8s/api/v1/namespaces%2Fkube-system/secrets',
  '/clusters/east/k8s/%5cevil.example/steal',
  '/clusters/east/k8s/%5Cevil.example/steal',
  // double-encoded dots decode to a dot segment one hop further
  '/clusters/east/k8s/api/v1/%252e%252e/secrets',
];

const rawKubeSpellings = [
  '/clusters/east/k8s/../../west/k8s/api/v1/secrets',
  '/clusters/east/k8s/./api/v1/pods',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/../kube-system/secrets',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/%2e%2e/kube-system/secrets',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/%2E%2e/kube-system/secrets',
  '/clusters/east/k8s/api/v1/namespaces/alpha-web/.%2E/kube-system/secrets',
  '/clusters/east/k8s/api/v1/%2e/pods',
  '/clusters/east/k8s/api/v1/pods/..',
  '/clusters/east/k8s/\\evil.example/steal',
];

describe('attack 10: kube proxy paths with // or dot segments', () => {
  it.each(kubeSpellings)('refuses %s with 400 before the tunnel', async (path) => {
    await expectBadPath(await outcome(() => fetchWorker(path, { headers: fx.as('east-admin') })));
  });

  it.each(rawKubeSpellings)('refuses the raw %s with 400 before the tunnel', async (path) => {
    await expectBadPath(await outcome(() => fetchRaw(path, 'east-admin')));
  });

  it('a path normalised into another cluster is judged as that cluster (404 for east-only callers)', async () => {
    // What miniflare and Cloudflare's default URL normalisation hand the worker.
    const res = await outcome(() =>
      fetchWorker('/clusters/east/k8s/../../west/k8s/api/v1/secrets', {
        headers: fx.as('east-admin'),
      }),
    );
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ code: 'not_found' });
  });

  it('refuses a percent-encoded cluster segment that does not spell the routed cluster', async () => {
    const res = await outcome(() =>
      fetchRaw('/clusters/east%2f..%2fwest/k8s/api/v1/pods', 'admin'),
    );
    expect(res.status).toBe(400);
  });

  it('still carries ordinary paths, query strings with slashes and dots included', async () => {
    const path =
      '/clusters/east/k8s/api/v1/namespaces/alpha-web/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb&fieldSelector=a/../b';
    const pending = fetchWorker(path, { headers: fx.as('east-admin') });
    const request = await east.nextOf('request');
    expect(request.path).toBe(
      '/api/v1/namespaces/alpha-web/pods?labelSelector=app.kubernetes.io%2Fname%3Dweb&fieldSelector=a/../b',
    );
    await east.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await east.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(200);
  });
});

describe('attack 10: monitoring passthrough paths', () => {
  const spellings = [
    '/api/v1/clusters/east/monitoring/api/v1//query?query=up',
    '/api/v1/clusters/east/monitoring//api/v1/query?query=up',
    '/api/v1/clusters/east/monitoring/api/v1/query%2f..%2f..%2f-%2fquit?query=up',
    '/api/v1/clusters/east/monitoring/api/v1/%2e%2e%2f%2e%2e%2fadmin/tsdb/snapshot?query=up',
  ];
  it.each(spellings)('refuses %s with 400 before the tunnel', async (path) => {
    await expectBadPath(await outcome(() => fetchWorker(path, { headers: fx.as('east-viewer') })));
  });

  it.each([
    '/api/v1/clusters/east/monitoring/api/v1/../../-/quit?query=up',
    '/api/v1/clusters/east/monitoring/api/v1/./query?query=up',
    '/api/v1/clusters/east/monitoring/api/v1/%2E%2e/v1/query?query=up',
  ])('refuses the raw %s with 400 before the tunnel', async (path) => {
    await expectBadPath(await outcome(() => fetchRaw(path, 'east-viewer')));
  });
});
