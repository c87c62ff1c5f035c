/**
 * Issue 3's proxy numbers: a `GET` of a 1,000-pod list through
 * edge (wrangler dev) → tunnel (ClusterTunnel DO) → agent process →
 * emulator, next to the same request straight to the emulator, in one run
 * at concurrency 16 (targets: added median latency <= 5 ms, throughput >=
 * 50% of direct). Both sides ask for `accept-encoding: identity`: locally
 * miniflare would otherwise gzip on this machine's CPU what Cloudflare's
 * edge compresses on its own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startAgentProcess } from '../support/agent-process';
import { startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';
import { removeState, startWranglerDev } from '../support/wrangler-dev';
import { benchEdge, printTable, runLoad } from './load';
import { loginAsAdmin } from './login';

const concurrency = 16;
const durationMs = Number(process.env.BENCH_SECONDS ?? 10) * 1000;
const pods = 1000;
const listPath = `/api/v1/pods?limit=${pods}`;

const dir = await mkdtemp(path.join(tmpdir(), 'edgetower-bench-proxy-'));
const kube = await startKubeEmulator({ cluster: { nodes: 20, namespaces: 10, pods } });
kube.store.create('namespaces', {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: 'edgetower-system' },
});
const kubeconfig = path.join(dir, 'kubeconfig');
await writeKubeconfig(kubeconfig, { url: kube.url, token: kube.token });
const edge = await startWranglerDev(benchEdge);
let agent: Awaited<ReturnType<typeof startAgentProcess>> | undefined;
try {
  const jwt = await loginAsAdmin(edge.url);
  const auth = { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' };
  const reg = (await (
    await fetch(`${edge.url}/api/v1/clusters`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ name: 'bench' }),
    })
  ).json()) as { joinToken: string };
  agent = await startAgentProcess({
    name: 'bench-agent',
    hubUrl: edge.url,
    token: reg.joinToken,
    kubeconfig,
    extraArgs: ['--log-level', 'warn'],
  });
  for (let i = 0; ; i++) {
    const view = (await (
      await fetch(`${edge.url}/api/v1/clusters/bench`, { headers: auth })
    ).json()) as { status: string };
    if (view.status === 'connected') break;
    if (i > 300) throw new Error('agent did not connect');
    await new Promise((r) => setTimeout(r, 100));
  }
  const probe = await fetch(`${edge.url}/clusters/bench/k8s${listPath}`, {
    headers: { ...auth, 'accept-encoding': 'identity' },
  });
  const bytes = (await probe.arrayBuffer()).byteLength;
  console.log(
    `edge ${edge.url}; ${pods}-pod list = ${(bytes / 1024).toFixed(0)} KiB; concurrency ${concurrency}, ${durationMs / 1000} s each`,
  );

  const direct = await runLoad(
    'direct to the emulator',
    () =>
      fetch(`${kube.url}${listPath}`, {
        headers: { authorization: `Bearer ${kube.token}`, 'accept-encoding': 'identity' },
      }),
    { concurrency, durationMs },
  );
  const proxied = await runLoad(
    'edge → tunnel → agent → emulator',
    () =>
      fetch(`${edge.url}/clusters/bench/k8s${listPath}`, {
        headers: { authorization: `Bearer ${jwt}`, 'accept-encoding': 'identity' },
      }),
    { concurrency, durationMs },
  );
  // Unloaded: one request at a time shows what the extra hops cost by themselves.
  const single = { concurrency: 1, durationMs: Math.max(3000, durationMs / 2) };
  const directOne = await runLoad(
    'direct, concurrency 1',
    () =>
      fetch(`${kube.url}${listPath}`, {
        headers: { authorization: `Bearer ${kube.token}`, 'accept-encoding': 'identity' },
      }),
    single,
  );
  const proxiedOne = await runLoad(
    'proxied, concurrency 1',
    () =>
      fetch(`${edge.url}/clusters/bench/k8s${listPath}`, {
        headers: { authorization: `Bearer ${jwt}`, 'accept-encoding': 'identity' },
      }),
    single,
  );
  const small = '/api/v1/namespaces/ns-0000/pods?limit=1';
  const directSmall = await runLoad(
    'direct, 1-pod GET, concurrency 1',
    () => fetch(`${kube.url}${small}`, { headers: { authorization: `Bearer ${kube.token}` } }),
    single,
  );
  const proxiedSmall = await runLoad(
    'proxied, 1-pod GET, concurrency 1',
    () =>
      fetch(`${edge.url}/clusters/bench/k8s${small}`, {
        headers: { authorization: `Bearer ${jwt}` },
      }),
    single,
  );
  // The local runtime's own floor: an unauthenticated route that touches nothing.
  const health = await runLoad(
    'edge GET /healthz, concurrency 1',
    () => fetch(`${edge.url}/healthz`),
    single,
  );
  printTable(
    [direct, proxied, directOne, proxiedOne, directSmall, proxiedSmall, health].map((r) => ({
      path: r.label,
      requests: r.requests,
      errors: r.errors,
      'req/s': r.rps,
      'MiB/s':
        r.label.includes('1-pod') || r.label.includes('healthz')
          ? ''
          : ((r.rps * bytes) / 1024 / 1024).toFixed(1),
      'p50 ms': r.p50,
      'p90 ms': r.p90,
      'p99 ms': r.p99,
    })),
  );
  console.log(
    `concurrency ${concurrency}: added median latency ${(proxied.p50 - direct.p50).toFixed(2)} ms, throughput ${((100 * proxied.rps) / direct.rps).toFixed(0)}% of direct (targets <= 5 ms, >= 50%)`,
  );
  console.log(
    `concurrency 1: added median latency ${(proxiedOne.p50 - directOne.p50).toFixed(2)} ms for the 1,000-pod list, ${(proxiedSmall.p50 - directSmall.p50).toFixed(2)} ms for a 1-pod GET (of which the local edge runtime's floor, /healthz: ${health.p50.toFixed(2)} ms)`,
  );
} finally {
  await agent?.kill();
  await edge.stop();
  await removeState(edge);
  await kube.close();
  await rm(dir, { recursive: true, force: true });
}
