/**
 * Issue 4's metering numbers, against the real worker in workerd (wrangler's
 * unstable_dev: local D1, SQLite Durable Objects), driven from Node:
 *  - ingestion into one cluster store: WINDOWS (60) one-minute windows of
 *    PODS (5,000) pods each, one batch per window (a sample = one pod-window
 *    row), timed inside the worker around the store's RPC calls
 *    (target >= 50,000 samples/s), and end to end from Node;
 *  - a workspace bill over 30 days of hourly windows, 500 namespaces across
 *    3 clusters, through GET /api/v1/workspaces/:ws/bill (target <= 200 ms
 *    median), and the same workspace's metering at step=1d;
 *  - memory: the workerd processes' resident set before and at peak during
 *    the bill queries, and the group × bucket cells the stores return (the
 *    rows read stay in SQLite).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { unstable_dev } from 'wrangler';
import type { MeteringPayload, PodUsage } from '../../protocol/metering-samples';
import { testSecrets } from '../support/wrangler-dev';
import { percentile, printTable } from './load';

const root = path.resolve(import.meta.dirname, '../..');
const PODS = Number(process.env.PODS ?? 5000);
const WINDOWS = Number(process.env.WINDOWS ?? 60);
const NAMESPACES = Number(process.env.NAMESPACES ?? 500);
const DAYS = Number(process.env.DAYS ?? 30);
const BILL_RUNS = Number(process.env.BILL_RUNS ?? 20);
const CLUSTERS = ['bench-a', 'bench-b', 'bench-c'];
const GiB = 1024 ** 3;

function migrate(persistDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      path.join(root, 'node_modules/.bin/wrangler'),
      ['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir],
      {
        cwd: root,
        env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
        stdio: 'ignore',
      },
    );
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`migrations failed (${code})`)),
    );
  });
}

/** Resident set (KiB) of every process below this one: wrangler's workerd among them. */
function descendantsRssKiB(): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  let total = 0;
  for (const pid of parents.keys()) {
    let p: number | undefined = pid;
    while (p && p !== process.pid) p = parents.get(p);
    if (p !== process.pid || pid === process.pid) continue;
    try {
      const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      total += Number(rss?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return total;
}

const pod = (i: number, seconds: number, over: Partial<PodUsage> = {}): PodUsage => ({
  namespace: `ns-${i % 200}`,
  workspace: 'bench',
  node: `node-${i % 50}`,
  pod: `pod-${i}`,
  workloadKind: 'Deployment',
  workload: `app-${i % 1000}`,
  cpuCoreSeconds: 0.25 * seconds,
  memoryByteSeconds: 0.5 * GiB * seconds,
  netReceivedBytes: 10_000,
  netTransmittedBytes: 20_000,
  pvcByteSeconds: GiB * seconds,
  ...over,
});

const persistDir = await mkdtemp(path.join(tmpdir(), 'edgetower-bench-metering-'));
await migrate(persistDir);
// Bundled once up front: wrangler's own bundler watches the source tree and
// would restart the worker mid-run whenever anyone edits a file.
// (In a folder of its own: unbundled, wrangler takes the entry's folder as its modules.)
const bundle = path.join(persistDir, 'bundle', 'metering-worker.js');
await build({
  entryPoints: [path.join(root, 'test/bench/metering-worker.ts')],
  outfile: bundle,
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  conditions: ['workerd', 'worker', 'browser'],
  mainFields: ['browser', 'module', 'main'],
  external: ['cloudflare:*', 'node:*'],
  logLevel: 'error',
});
const worker = await unstable_dev(bundle, {
  config: path.join(root, 'wrangler.toml'),
  bundle: false,
  persistTo: persistDir,
  ip: '127.0.0.1',
  vars: testSecrets,
  logLevel: (process.env.BENCH_LOG_LEVEL ?? 'error') as 'error',
  experimental: { disableExperimentalWarning: true },
});
const rows: Record<string, string | number>[] = [];
try {
  const base = `http://${worker.address}:${worker.port}`;
  const login = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: testSecrets.ADMIN_PASSWORD,
    }),
  });
  const { access_token: token } = (await login.json()) as { access_token: string };
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const call = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
    return res;
  };
  const ingest = async (
    cluster: string,
    batches: { seq: number; payload: MeteringPayload }[],
    retention?: unknown,
  ) =>
    (await (
      await call('POST', '/__bench/ingest', { cluster, agent: 'bench', batches, retention })
    ).json()) as {
      ms: number;
      duplicates: number;
    };

  // 1. Ingestion into one store.
  const now = Math.floor(Date.now() / 1000);
  const t0 = now - (now % 60) - WINDOWS * 60;
  let storeMs = 0;
  const wallStarted = performance.now();
  for (let w = 0; w < WINDOWS; w++) {
    const start = t0 + w * 60;
    const payload: MeteringPayload = {
      windowStart: start,
      windowEnd: start + 60,
      charging: 'max',
      pods: Array.from({ length: PODS }, (_, i) => pod(i, 60)),
    };
    storeMs += (await ingest('ingest', [{ seq: w, payload }])).ms;
  }
  const wallMs = performance.now() - wallStarted;
  const samples = PODS * WINDOWS;
  const resent = await ingest('ingest', [
    {
      seq: 0,
      payload: { windowStart: t0, windowEnd: t0 + 60, charging: 'max', pods: [pod(0, 60)] },
    },
  ]);
  rows.push(
    {
      measure: 'ingest, store (RPC + transaction)',
      value: Math.round((samples / storeMs) * 1000),
      unit: 'samples/s',
      target: '>= 50000',
      note: `${samples} samples, ${PODS} pods × ${WINDOWS} windows, ${storeMs} ms`,
    },
    {
      measure: 'ingest, end to end from Node',
      value: Math.round((samples / wallMs) * 1000),
      unit: 'samples/s',
      target: '',
      note: 'incl. JSON over HTTP, 1 window per request',
    },
    {
      measure: 'resent batch counted',
      value: resent.duplicates === 1 ? 'once' : 'TWICE',
      unit: '',
      target: 'once',
      note: '(agent, seq) already ingested',
    },
  );

  // 2. Bill data: 500 namespaces over 3 clusters, 30 days of hourly windows.
  await call('POST', '/api/v1/workspaces', { name: 'bench' });
  for (const cluster of CLUSTERS) await call('POST', '/api/v1/clusters', { name: cluster });
  // Namespaces go only in clusters granted to the workspace.
  await call('PATCH', '/api/v1/workspaces/bench', { clusters: CLUSTERS });
  const clusterOf = (n: number) => CLUSTERS[n % CLUSTERS.length] ?? 'bench-a';
  for (let n = 0; n < NAMESPACES; n++)
    await call('POST', '/api/v1/workspaces/bench/namespaces', {
      cluster: clusterOf(n),
      name: `ns-${n}`,
    });
  await call('POST', '/__bench/predate-tenancy');
  await call('PUT', '/api/v1/metering/prices', {
    currency: 'USD',
    cpuPerCoreHour: 0.03,
    memoryPerGiBHour: 0.004,
    ingressPerGiB: 0,
    egressPerGiB: 0.09,
    pvcPerGiBHour: 0.0001,
  });
  // Hour-long windows, all older than the bill stores' raw retention (1 day
  // here): an agent sends minute windows, and spreading synthetic hour-long
  // ones into 60 minute rows each would only bench the set-up.
  const hour0 = now - (now % 3600) - (DAYS + 1) * 24 * 3600;
  const billRetention = { rawDays: 1, hourlyDays: 400, dailyDays: 0 };
  const setupStarted = performance.now();
  await Promise.all(
    CLUSTERS.map(async (cluster, c) => {
      const mine = Array.from({ length: NAMESPACES }, (_, n) => n).filter(
        (n) => clusterOf(n) === cluster,
      );
      for (let h = 0; h < DAYS * 24; h += 24) {
        const batches = Array.from({ length: 24 }, (_, k) => ({
          seq: h + k,
          payload: {
            windowStart: hour0 + (h + k) * 3600,
            windowEnd: hour0 + (h + k + 1) * 3600,
            charging: 'max' as const,
            pods: mine.map((n) =>
              pod(n, 3600, {
                namespace: `ns-${n}`,
                pod: `web-${n}`,
                workload: 'web',
                node: `node-${c}`,
              }),
            ),
          },
        }));
        await ingest(cluster, batches, h === 0 ? billRetention : undefined);
      }
    }),
  );
  const setupSeconds = (performance.now() - setupStarted) / 1000;

  // 3. The bill, through the public route.
  const billUrl = `/api/v1/workspaces/bench/bill?start=${hour0}&end=${hour0 + DAYS * 86_400}&groupBy=namespace`;
  const timed = async (url: string) => {
    const started = performance.now();
    const res = await call('GET', url);
    const text = await res.text();
    return { ms: performance.now() - started, text };
  };
  const first = JSON.parse((await timed(billUrl)).text) as {
    rows: unknown[];
    totals: { fee: number };
  };
  await timed(billUrl);
  const baselineKiB = descendantsRssKiB();
  let peakKiB = baselineKiB;
  const sampler = setInterval(() => {
    peakKiB = Math.max(peakKiB, descendantsRssKiB());
  }, 20);
  const billMs: number[] = [];
  for (let i = 0; i < BILL_RUNS; i++) billMs.push((await timed(billUrl)).ms);
  const seriesUrl = `/api/v1/metering?level=namespace&workspace=bench&start=${hour0}&end=${hour0 + DAYS * 86_400}&step=1d&metrics=cpu_usage`;
  const seriesMs: number[] = [];
  for (let i = 0; i < 5; i++) seriesMs.push((await timed(seriesUrl)).ms);
  clearInterval(sampler);
  billMs.sort((a, b) => a - b);
  seriesMs.sort((a, b) => a - b);
  rows.push(
    {
      measure: 'bill data setup (ingest)',
      value: Math.round(setupSeconds),
      unit: 's',
      target: '',
      note: `${NAMESPACES} ns × ${DAYS * 24} hourly windows, 3 clusters in parallel`,
    },
    {
      measure: 'workspace bill, 30 days, median',
      value: Math.round(percentile(billMs, 50)),
      unit: 'ms',
      target: '<= 200',
      note: `${first.rows.length} rows, ${BILL_RUNS} runs`,
    },
    {
      measure: 'workspace bill, 30 days, p95',
      value: Math.round(percentile(billMs, 95)),
      unit: 'ms',
      target: '',
      note: '',
    },
    {
      measure: 'namespace metering, 30 days, step=1d, median',
      value: Math.round(percentile(seriesMs, 50)),
      unit: 'ms',
      target: '',
      note: `${NAMESPACES} series × ${DAYS + 1} points`,
    },
    {
      measure: 'workerd RSS before bills',
      value: Math.round(baselineKiB / 1024),
      unit: 'MiB',
      target: '',
      note: 'all workerd/wrangler children',
    },
    {
      measure: 'workerd RSS peak during bills',
      value: Math.round(peakKiB / 1024),
      unit: 'MiB',
      target: 'bounded',
      note: `cells returned per bill: ${first.rows.length} (SQL aggregates)`,
    },
  );
} finally {
  await worker.stop();
  await rm(persistDir, { recursive: true, force: true });
}
console.log(
  `metering — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / GiB)} GiB, node ${process.version}, ${new Date().toISOString()}`,
);
printTable(rows);
