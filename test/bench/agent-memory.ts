/**
 * Agent memory, CPU and initial sync time against the Kubernetes API
 * emulator: 1,000 pods, and 150,000 pods / 5,000 nodes (Kubernetes'
 * scalability limits). The agent runs as it ships (the bundle
 * agents/deploy/build.ts makes for the image, with the image's Node flags) in its own process; the edge is a hub stub that
 * negotiates the tunnel and acks inventory (test/support/agent-hub-stub.ts).
 *
 *   npm run bench -- agent-memory            (both sizes)
 *   AGENT_BENCH=small npm run bench -- agent-memory
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_ENV, AGENT_NODE_FLAGS, buildAgent } from '../../agents/deploy/build';
import type { InventorySnapshot } from '../../protocol/inventory';
import { startHubStub } from '../support/agent-hub-stub';
import { type ProcSample, procSample, spawnBenchAgent } from '../support/bench-agent';
import { type ClusterSpec, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';

interface Scenario {
  name: string;
  cluster: ClusterSpec;
  rssTargetMiB: number;
  syncTargetSeconds?: number;
}

const SCENARIOS: Record<string, Scenario> = {
  small: {
    name: '1,000 pods / 20 nodes',
    cluster: {
      nodes: 20,
      edgeNodes: 4,
      namespaces: 20,
      pods: 1_000,
      warningEvents: 50,
      normalEvents: 50,
    },
    rssTargetMiB: 64,
  },
  large: {
    name: '150,000 pods / 5,000 nodes',
    cluster: {
      nodes: 5_000,
      edgeNodes: 500,
      namespaces: 2_000,
      pods: 150_000,
      warningEvents: 2_000,
      normalEvents: 1_000,
    },
    rssTargetMiB: 256,
    syncTargetSeconds: 60,
  },
};

/** The image's Node flags (agents/deploy/Dockerfile CMD); override to experiment. */
const NODE_FLAGS = (process.env.AGENT_BENCH_NODE_FLAGS ?? AGENT_NODE_FLAGS.join(' '))
  .split(' ')
  .filter(Boolean);
const BENCH_ENV: Record<string, string> = process.env.AGENT_BENCH_ENV
  ? Object.fromEntries(
      process.env.AGENT_BENCH_ENV.split(' ')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]),
    )
  : { ...AGENT_ENV };
const STEADY_SECONDS = Number(process.env.AGENT_BENCH_STEADY_SECONDS ?? 20);
const CLK_TCK = 100; // Linux USER_HZ

/** The agent's /proc figures, undefined once it has exited. */
function sample(pid: number): ProcSample | undefined {
  try {
    return procSample(pid);
  } catch {
    return undefined;
  }
}

const mib = (kib: number) => (kib / 1024).toFixed(1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function bundleAgent(): Promise<string> {
  const out = join(await mkdtemp(join(tmpdir(), 'agent-bench-')), 'agent.mjs');
  await buildAgent(out);
  return out;
}

interface Result {
  scenario: Scenario;
  syncSeconds: number;
  agentSyncLogSeconds?: number;
  rssAfterSyncMiB: string;
  steadyRssMiB: string;
  peakRssMiB: string;
  syncCpuSeconds: string;
  steadyCpuPercent: string;
  snapshotKiB: string;
  deltas: number;
  pass: boolean;
}

async function run(scenario: Scenario, bundle: string): Promise<Result> {
  const genStart = Date.now();
  const emu = await startKubeEmulator({ cluster: scenario.cluster, maxRecordedRequests: 1000 });
  emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
  console.log(
    `  emulator: ${scenario.name} generated in ${((Date.now() - genStart) / 1000).toFixed(1)} s`,
  );
  const token = 'bench-join-token';
  const hub = await startHubStub(token);
  const kubeconfig = join(await mkdtemp(join(tmpdir(), 'agent-bench-')), 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });

  const started = Date.now();
  const agent: ChildProcess = spawnBenchAgent({
    bundle,
    nodeFlags: NODE_FLAGS,
    env: BENCH_ENV,
    hubUrl: hub.url,
    token,
    kubeconfig,
  });
  const pid = agent.pid as number;
  let agentSyncLogSeconds: number | undefined;
  let healthPort: number | undefined;
  let stderrTail = '';
  agent.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    for (const line of chunk.toString().split('\n')) {
      if (line.includes('"inventory synced"'))
        agentSyncLogSeconds = (JSON.parse(line) as { ms: number }).ms / 1000;
      if (line.includes('"agent started"'))
        healthPort = (JSON.parse(line) as { healthPort: number }).healthPort;
    }
  });

  try {
    // Initial sync: spawn until the hub has the first snapshot.
    let snapshot: InventorySnapshot | undefined;
    let snapshotBytes = 0;
    while (!snapshot) {
      if (agent.exitCode !== null) throw new Error(`agent exited: ${stderrTail}`);
      if (Date.now() - started > 300_000) throw new Error(`no snapshot after 300 s: ${stderrTail}`);
      const got = hub.received.find((r) => r.update.type === 'snapshot');
      if (got) {
        snapshot = got.update as InventorySnapshot;
        snapshotBytes = got.bytes;
      }
      await sleep(50);
    }
    const syncedAt = hub.received.find((r) => r.update.type === 'snapshot')?.at ?? Date.now();
    const atSync = sample(pid) as ProcSample;
    const pods = snapshot.namespaces.reduce((sum, ns) => sum + ns.workloads.pods, 0);
    if (snapshot.nodes.length !== scenario.cluster.nodes || pods !== scenario.cluster.pods) {
      throw new Error(`snapshot incomplete: ${snapshot.nodes.length} nodes, ${pods} pods`);
    }

    // Steady state with churn: pods change phase, come and go; nodes flap.
    const names = emu.store
      .list('pods')
      .slice(0, 5000)
      .map((p) => ({ ns: p.metadata.namespace as string, name: p.metadata.name }));
    let churn = 0;
    const churnTimer = setInterval(() => {
      for (let i = 0; i < 5; i++) {
        const target = names[(churn * 7 + i * 13) % names.length];
        if (!target) continue;
        emu.store.patch('pods', target.ns, target.name, (p) => {
          p.status = { ...(p.status as object), phase: churn % 2 ? 'Running' : 'Pending' };
        });
      }
      const ns = names[churn % names.length]?.ns ?? 'default';
      emu.store.create('pods', {
        metadata: { name: `churn-${churn}`, namespace: ns },
        spec: { containers: [] },
        status: { phase: 'Pending' },
      });
      if (churn > 0)
        emu.store.delete(
          'pods',
          names[(churn - 1) % names.length]?.ns ?? 'default',
          `churn-${churn - 1}`,
        );
      churn++;
    }, 100);
    const steadyStart = sample(pid) as ProcSample;
    const steadyStartedAt = Date.now();
    let maxRss = 0;
    while (Date.now() - steadyStartedAt < STEADY_SECONDS * 1000) {
      await sleep(250);
      maxRss = Math.max(maxRss, sample(pid)?.rssKiB ?? 0);
    }
    clearInterval(churnTimer);
    const ready = healthPort
      ? await fetch(`http://127.0.0.1:${healthPort}/readyz`).then((r) => r.json())
      : undefined;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const split = ['RssAnon', 'RssFile'].map(
      (f) => `${f} ${mib(Number(new RegExp(`${f}:\\s+(\\d+)`).exec(status)?.[1] ?? 0))} MiB`,
    );
    console.log(`  agent steady: ${split.join(', ')}; /readyz: ${JSON.stringify(ready)}`);
    const steadyEnd = sample(pid) as ProcSample;
    const steadySeconds = (Date.now() - steadyStartedAt) / 1000;
    const deltas = hub.received.filter((r) => r.update.type === 'delta').length;
    const syncSeconds = (syncedAt - started) / 1000;
    const pass =
      steadyEnd.hwmKiB / 1024 <= scenario.rssTargetMiB &&
      (scenario.syncTargetSeconds === undefined || syncSeconds <= scenario.syncTargetSeconds);
    return {
      scenario,
      syncSeconds,
      agentSyncLogSeconds,
      rssAfterSyncMiB: mib(atSync.rssKiB),
      steadyRssMiB: mib(steadyEnd.rssKiB),
      peakRssMiB: mib(steadyEnd.hwmKiB),
      syncCpuSeconds: (atSync.cpuTicks / CLK_TCK).toFixed(1),
      steadyCpuPercent: (
        ((steadyEnd.cpuTicks - steadyStart.cpuTicks) / CLK_TCK / steadySeconds) *
        100
      ).toFixed(1),
      snapshotKiB: (snapshotBytes / 1024).toFixed(0),
      deltas,
      pass,
    };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) =>
      agent.exitCode !== null ? resolve(undefined) : agent.once('exit', resolve),
    );
    await hub.close();
    await emu.close();
  }
}

const selected = (process.env.AGENT_BENCH ?? 'small,large').split(',').map((s) => s.trim());
const cpuModel = cpus()[0]?.model ?? 'unknown';
console.log(
  `agent-memory: ${cpus().length} CPUs (${cpuModel}), Node ${process.version}, steady phase ${STEADY_SECONDS} s with churn`,
);
const bundle = await bundleAgent();
const results: Result[] = [];
for (const key of selected) {
  const scenario = SCENARIOS[key];
  if (!scenario) throw new Error(`unknown scenario ${key}`);
  console.log(`- ${scenario.name}`);
  results.push(await run(scenario, bundle));
}

const header = [
  'cluster',
  'initial sync (s)',
  'RSS at sync (MiB)',
  'RSS steady (MiB)',
  'peak RSS (MiB)',
  'CPU for sync (s)',
  'CPU steady (%)',
  'snapshot (KiB)',
  'deltas',
  'target',
  'ok',
];
const rows = results.map((r) => [
  r.scenario.name,
  `${r.syncSeconds.toFixed(1)}${r.agentSyncLogSeconds !== undefined ? ` (informers ${r.agentSyncLogSeconds.toFixed(1)})` : ''}`,
  r.rssAfterSyncMiB,
  r.steadyRssMiB,
  r.peakRssMiB,
  r.syncCpuSeconds,
  r.steadyCpuPercent,
  r.snapshotKiB,
  String(r.deltas),
  `peak <= ${r.scenario.rssTargetMiB} MiB${r.scenario.syncTargetSeconds ? `, sync <= ${r.scenario.syncTargetSeconds} s` : ''}`,
  r.pass ? 'yes' : 'NO',
]);
console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
process.exit(results.every((r) => r.pass) ? 0 : 1);
