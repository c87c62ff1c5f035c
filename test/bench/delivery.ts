/**
 * Application delivery fan-out: the edge (wrangler's dev server without the
 * DevTools inspector or file watcher, test/support/edge-server.ts;
 * BENCH_INSPECTOR=1 for the `wrangler dev` CLI) with 1, 10 and 50 connected clusters, each an in-process
 * Kubernetes API emulator with the agent (runAgent, in-process: the
 * machine has too few cores for 50 agent processes) phoning home.
 *   - fan-out: from `POST /apps` (placed on every connected cluster) to
 *     every cluster `ready` in the app's status, as GET shows it;
 *   - edit: `PUT` (generation + 1) to the Deployment carrying the new
 *     generation in each connected cluster, per cluster, p50/p99.
 * Emulated workloads turn ready `READY_DELAY_MS` after each apply.
 * Edge cost: CPU time (user + system, from /proc) of the edge's processes
 * (workerd: worker, Durable Objects and local D1; and wrangler's Node side)
 * during the POST's fan-out and during the edits, per cluster; and the
 * bench process's own CPU (the in-process agents and emulators) per edit.
 * Targets (issue #13): 50 clusters ready ≤ 5 s after the workloads report
 * ready; an edit reaches a connected cluster ≤ 1 s at the 99th percentile.
 *
 *   npm run bench -- delivery        (DELIVERY_BENCH_SIZES=1,10 for fewer)
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type RunningAgent, runAgent } from '../../agents/agent';
import { silentLogger } from '../../agents/log';
import { type KubeEmulator, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';
import { removeState, startWranglerDev, testSecrets } from '../support/wrangler-dev';
import { benchEdge } from './load';

const SIZES = (process.env.DELIVERY_BENCH_SIZES ?? '1,10,50').split(',').map(Number);
const EDITS = Number(process.env.DELIVERY_BENCH_EDITS ?? 20);
const READY_DELAY_MS = 100;
const WS = 'bench';
const NS = 'bench-shop';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

interface Member {
  name: string;
  kube: KubeEmulator;
  agent: RunningAgent;
}

const workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-delivery-bench-'));
// A dev-server reload drops every tunnel and answers a PUT in flight 503 "Your worker
// restarted mid-request": a bench measures the edge, not reloads, so wrangler.toml is not
// watched. (This did not remove the 503 seen at 50 clusters under load; its trigger is open,
// docs/delivery.md "Numbers". The reloads column counts the config assemblies Miniflare
// reports when offline, so it may miss a reload.)
process.env.WRANGLER_CI_DISABLE_CONFIG_WATCHING = 'true';
const edge = await startWranglerDev(benchEdge);
/** Miniflare assembles its config once at start and again at every reload (it says so when offline). */
const reloads = () => edge.output().split('Unable to fetch the `Request.cf` object').length - 2;

/** CPU ms (user + system) used so far by this process's descendants: the edge (agents run in-process). */
async function edgeCpuMs(): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = await readFile(`/proc/${entry}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      // After the command: state ppid ... utime (14th field of stat) stime (15th).
      stats.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
      });
    } catch {
      // exited meanwhile
    }
  }
  const mine = new Set([process.pid]);
  let ticks = 0;
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, st] of stats)
      if (!mine.has(pid) && mine.has(st.ppid)) {
        mine.add(pid);
        ticks += st.ticks;
        grew = true;
      }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
const members: Member[] = [];
let exitCode = 0;

async function call(token: string, p: string, init: RequestInit = {}) {
  return fetch(`${edge.url}${p}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  });
}

async function must(res: Promise<Response>, status: number, what: string): Promise<unknown> {
  const r = await res;
  if (r.status !== status) throw new Error(`${what}: HTTP ${r.status} ${await r.text()}`);
  return r.json();
}

try {
  const login = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: testSecrets.ADMIN_PASSWORD,
    }),
  });
  const jwt = ((await login.json()) as { access_token: string }).access_token;
  const api = (p: string, init?: RequestInit) => call(jwt, p, init);
  await must(
    api('/api/v1/workspaces', { method: 'POST', body: JSON.stringify({ name: WS }) }),
    201,
    'workspace',
  );

  /** Brings up clusters until there are `n`, each connected. */
  async function grow(n: number): Promise<void> {
    while (members.length < n) {
      const name = `bench-${members.length + 1}`;
      const kube = await startKubeEmulator({
        workloads: { readyDelayMs: READY_DELAY_MS },
        maxRecordedRequests: 100,
      });
      kube.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
      // The editor (admin) may do anything here, as a cluster admin's binding would allow.
      kube.store.create('clusterrolebindings', {
        metadata: { name: 'bench-admin' },
        roleRef: {
          apiGroup: 'rbac.authorization.k8s.io',
          kind: 'ClusterRole',
          name: 'cluster-admin',
        },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'admin' }],
      });
      const kubeconfig = path.join(workDir, `${name}.kubeconfig`);
      await writeKubeconfig(kubeconfig, { url: kube.url, token: kube.token });
      const { joinToken } = (await must(
        api('/api/v1/clusters', { method: 'POST', body: JSON.stringify({ name }) }),
        201,
        `register ${name}`,
      )) as { joinToken: string };
      const agent = await runAgent(
        {
          hubUrl: edge.url,
          token: joinToken,
          kubeconfig,
          meteringIntervalSeconds: 3600,
          meteringCharging: 'max',
          healthListen: { host: '127.0.0.1', port: 0 },
          logLevel: 'error',
          namespace: 'edgetower-system',
          agentId: `${name}-agent`,
        },
        silentLogger,
      );
      members.push({ name, kube, agent });
    }
    const names = members.map((m) => m.name);
    const granted = await api(`/api/v1/workspaces/${WS}`, {
      method: 'PATCH',
      body: JSON.stringify({ clusters: names }),
    });
    if (!granted.ok) throw new Error(`grant: HTTP ${granted.status} ${await granted.text()}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      const list = (await (await api('/api/v1/clusters')).json()) as {
        items: { name: string; status: string }[];
      };
      const up = list.items.filter((c) => names.includes(c.name) && c.status === 'connected');
      if (up.length === n) break;
      if (Date.now() > deadline) throw new Error(`only ${up.length}/${n} clusters connected`);
      await sleep(200);
    }
    // Leaders elected and delivery-state sent: give the tunnels a moment to settle.
    await sleep(2000);
  }

  const spec = (name: string, image: string) => ({
    name,
    namespace: NS,
    manifests: [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: {
            metadata: { labels: { app: 'web' } },
            spec: { containers: [{ name: 'web', image }] },
          },
        },
      },
    ],
    placement: { clusters: members.map((m) => m.name) },
  });

  const rows: string[][] = [];
  for (const n of SIZES) {
    await grow(n);
    const app = `fan-${n}`;
    const cpuAtPost = await edgeCpuMs();
    const started = Date.now();
    await must(
      api(`/api/v1/workspaces/${WS}/apps`, {
        method: 'POST',
        body: JSON.stringify(spec(app, 'nginx:1')),
      }),
      201,
      `create ${app}`,
    );
    let fanout = Number.NaN;
    while (Date.now() - started < 120_000) {
      const view = (await (await api(`/api/v1/workspaces/${WS}/apps/${app}`)).json()) as {
        status: { clusters: { state: string; observedGeneration: number }[] };
      };
      const ready = view.status.clusters.filter(
        (c) => c.state === 'ready' && c.observedGeneration === 1,
      ).length;
      if (ready === n) {
        fanout = Date.now() - started;
        break;
      }
      await sleep(25);
    }

    const cpuPost = (await edgeCpuMs()) - cpuAtPost;
    // Edits: time to the new generation's Deployment in each connected cluster.
    const cpuAtEdits = await edgeCpuMs();
    const benchCpuAtEdits = process.cpuUsage();
    const reloadsAtEdits = reloads();
    const samples: number[] = [];
    const refused: string[] = [];
    for (let g = 2; g <= EDITS + 1; g++) {
      const put = Date.now();
      const done = new Map<string, number>();
      const res = api(`/api/v1/workspaces/${WS}/apps/${app}`, {
        method: 'PUT',
        body: JSON.stringify(spec(app, `nginx:${g}`)),
      });
      while (done.size < n && Date.now() - put < 30_000) {
        for (const m of members.slice(0, n))
          if (
            !done.has(m.name) &&
            m.kube.store.get('deployments', NS, 'web')?.metadata.labels?.[
              'app.edgetower.io/generation'
            ] === String(g) &&
            m.kube.store.get('deployments', NS, 'web')?.metadata.labels?.[
              'app.edgetower.io/name'
            ] === app
          )
            done.set(m.name, Date.now() - put);
        await sleep(2);
      }
      const r = await res;
      if (r.status !== 200) {
        // Counted and shown, not fatal: the table says how many edits the edge refused.
        refused.push(`${r.status} ${(await r.text()).slice(0, 200)}`);
        continue;
      }
      samples.push(...done.values());
      for (let i = done.size; i < n; i++) samples.push(Number.POSITIVE_INFINITY);
    }
    const cpuEdits = (await edgeCpuMs()) - cpuAtEdits;
    const benchCpu = process.cpuUsage(benchCpuAtEdits);
    const editsReloads = Math.max(0, reloads() - Math.max(0, reloadsAtEdits));
    samples.sort((a, b) => a - b);
    rows.push([
      String(n),
      Number.isNaN(fanout) ? 'timeout' : String(fanout),
      String(READY_DELAY_MS),
      String(pct(samples, 50)),
      String(pct(samples, 99)),
      String(samples.length),
      String(refused.length),
      (cpuPost / n).toFixed(1),
      (cpuEdits / EDITS / n).toFixed(1),
      ((benchCpu.user + benchCpu.system) / 1000 / EDITS / n).toFixed(1),
      String(editsReloads),
    ]);
    console.log(`[delivery bench] ${n} clusters: ${rows.at(-1)?.join(' | ')}`);
    for (const why of new Set(refused)) console.log(`[delivery bench]   edit refused: ${why}`);
    if (refused.length > 0) {
      exitCode = 1;
      // DELIVERY_BENCH_EDGE_LOG=<regexp>: the edge's log lines that match (with WRANGLER_LOG=debug,
      // what made the dev server reload).
      const pattern = process.env.DELIVERY_BENCH_EDGE_LOG;
      if (pattern)
        console.log(
          edge
            .output()
            .split('\n')
            .filter((l) => new RegExp(pattern, 'i').test(l))
            .slice(-100)
            .join('\n'),
        );
    }
    if (n === 50 && !(fanout <= 5000 + READY_DELAY_MS)) exitCode = 1;
    if (!(pct(samples, 99) <= 1000)) exitCode = 1;
    // Out of the way before the next size (the same namespace and Deployment name).
    await api(`/api/v1/workspaces/${WS}/apps/${app}`, { method: 'DELETE' });
    const gone = Date.now();
    while (
      (await api(`/api/v1/workspaces/${WS}/apps/${app}`)).status !== 404 &&
      Date.now() - gone < 30_000
    )
      await sleep(100);
  }

  const head = [
    'clusters',
    'POST→all ready ms',
    'workload ready delay ms',
    'edit→cluster p50 ms',
    'edit→cluster p99 ms',
    'edit samples',
    'edits refused',
    'edge CPU ms/cluster (POST)',
    'edge CPU ms/cluster/edit',
    'agents+emulators CPU ms/cluster/edit',
    'edge reloads during edits',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  console.log(
    `targets: 50 clusters ready ≤ ${5000 + READY_DELAY_MS} ms (5 s after workloads ready), edit p99 ≤ 1000 ms: ${exitCode === 0 ? 'met' : 'MISSED'}`,
  );
} catch (error) {
  console.error(error);
  console.error(edge.output().slice(-3000));
  exitCode = 1;
} finally {
  await Promise.all(members.map((m) => m.agent.close()));
  await edge.stop();
  await removeState(edge);
  await Promise.all(members.map((m) => m.kube.close()));
  await rm(workDir, { recursive: true, force: true });
}
process.exit(exitCode);
