/**
 * The local runtime's floor, for reading the other benches: the same
 * harness as they use (wrangler's dev server, ProxyWorker in front, without
 * the DevTools inspector) running a worker with none of edgetower's code
 * (test/bench/floor-worker). Measures, in one run:
 *  - a JSON reply and one trivial D1 query at concurrency 32 (what issue 2's
 *    authenticated route can at best be: one D1 query);
 *  - a streamed pass-through of the 1,000-pod list (4.3 MiB) next to the
 *    same GET straight to the emulator, at concurrency 1 (what any
 *    edge-proxied GET costs here before a tunnel is involved: issue 3).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKubeEmulator } from '../support/kube-emulator';
import { freePort, waitForHealth } from '../support/wrangler-dev';
import { printTable, runLoad } from './load';

const root = path.resolve(import.meta.dirname, '../..');
const durationMs = Number(process.env.BENCH_SECONDS ?? 8) * 1000;

async function startFloorWorker(port: number, persistDir: string): Promise<ChildProcess> {
  const child = spawn(
    path.join(root, 'node_modules/.bin/tsx'),
    [
      path.join(root, 'test/support/edge-server.ts'),
      '--port',
      String(port),
      '--persist-to',
      persistDir,
      '--config',
      path.join(import.meta.dirname, 'floor-worker/wrangler.toml'),
    ],
    { cwd: root, stdio: 'ignore', detached: true },
  );
  await waitForHealth(
    `http://127.0.0.1:${port}`,
    child,
    60_000,
    () => '(the floor worker; its output is not kept)',
  );
  return child;
}

const dir = await mkdtemp(path.join(tmpdir(), 'edgetower-bench-floor-'));
const kube = await startKubeEmulator({ cluster: { nodes: 20, namespaces: 10, pods: 1000 } });
const port = await freePort();
const worker = await startFloorWorker(port, dir);
try {
  const edge = `http://127.0.0.1:${port}`;
  const list = `${kube.url}/api/v1/pods?limit=1000`;
  const kubeHeaders = { authorization: `Bearer ${kube.token}`, 'accept-encoding': 'identity' };
  const wide = { concurrency: 32, durationMs };
  const single = { concurrency: 1, durationMs: Math.max(3000, durationMs / 2) };
  const results = [
    await runLoad('JSON reply, concurrency 32', () => fetch(`${edge}/healthz`), wide),
    await runLoad('one D1 query, concurrency 32', () => fetch(`${edge}/d1`), wide),
    await runLoad(
      '1,000-pod list direct, concurrency 1',
      () => fetch(list, { headers: kubeHeaders }),
      single,
    ),
    await runLoad(
      '1,000-pod list through a pass-through worker, concurrency 1',
      () => fetch(`${edge}/pass?url=${encodeURIComponent(list)}`, { headers: kubeHeaders }),
      single,
    ),
  ];
  printTable(
    results.map((r) => ({
      measure: r.label,
      requests: r.requests,
      errors: r.errors,
      'req/s': r.rps,
      'p50 ms': r.p50,
      'p99 ms': r.p99,
    })),
  );
  const [reply, query, direct, pass] = results;
  if (reply && query && direct && pass) {
    console.log(
      `\none D1 query keeps ${((100 * query.rps) / reply.rps).toFixed(0)}% of a JSON reply's throughput; p99 ${query.p99.toFixed(1)} ms (JSON reply: ${reply.p99.toFixed(1)} ms) at concurrency 32`,
    );
    console.log(
      `a pass-through worker adds ${(pass.p50 - direct.p50).toFixed(1)} ms median to the 1,000-pod list`,
    );
  }
} finally {
  if (worker.pid !== undefined) process.kill(-worker.pid, 'SIGTERM');
  await kube.close();
  await rm(dir, { recursive: true, force: true });
}
