/**
 * Agent-side metering cost: the agent as it ships (bundle + image Node
 * flags) meters a generated cluster every METER_BENCH_INTERVAL seconds
 * (default 15) with a disk spool, against the Kubernetes API emulator
 * (metrics.k8s.io at each pod's requests) and a hub stub that acks every
 * batch. Per window: how long after the boundary the last batch reached
 * the hub, batches and bytes per window, agent CPU per window, RSS.
 *
 *   npm run bench -- metering-collect                 (1,000 and 150,000 pods)
 *   METER_BENCH=small npm run bench -- metering-collect
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_ENV, AGENT_NODE_FLAGS, buildAgent } from '../../agents/deploy/build';
import { startHubStub } from '../support/agent-hub-stub';
import { procSample, spawnBenchAgent } from '../support/bench-agent';
import { type ClusterSpec, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';

const INTERVAL = Number(process.env.METER_BENCH_INTERVAL ?? 15);
const WINDOWS = Number(process.env.METER_BENCH_WINDOWS ?? 4);
const CLK_TCK = 100;

const SCENARIOS: Record<string, { name: string; cluster: ClusterSpec }> = {
  small: { name: '1,000 pods / 20 nodes', cluster: { nodes: 20, namespaces: 20, pods: 1_000 } },
  large: {
    name: '150,000 pods / 5,000 nodes',
    cluster: { nodes: 5_000, namespaces: 2_000, pods: 150_000 },
  },
};

const median = (values: number[]) =>
  ([...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0).toFixed(2);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Row {
  scenario: string;
  windows: number;
  podsPerWindow: number;
  batchesPerWindow: number;
  mibPerWindow: string;
  latencyMedianS: string;
  latencyMaxS: string;
  sampleMedianS: string;
  meterMedianS: string;
  cpuPerWindowS: string;
  rssMiB: string;
  peakMiB: string;
}

async function run(key: string, bundle: string): Promise<Row> {
  const scenario = SCENARIOS[key] as (typeof SCENARIOS)[string];
  const emu = await startKubeEmulator({ cluster: scenario.cluster, maxRecordedRequests: 1000 });
  emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
  const token = 'bench-join-token';
  const hub = await startHubStub(token);
  const dir = await mkdtemp(join(tmpdir(), 'meter-bench-'));
  const kubeconfig = join(dir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
  const agent: ChildProcess = spawnBenchAgent({
    bundle,
    nodeFlags: AGENT_NODE_FLAGS,
    env: AGENT_ENV,
    hubUrl: hub.url,
    token,
    kubeconfig,
    extraArgs: [
      '--data-dir',
      join(dir, 'data'),
      '--metering-interval',
      String(INTERVAL),
      '--log-level',
      'debug',
    ],
  });
  let stderrTail = '';
  let partial = '';
  const ticks: { sampleMs: number; meterMs: number }[] = [];
  agent.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines)
      if (line.includes('"msg":"metered"'))
        ticks.push(JSON.parse(line) as { sampleMs: number; meterMs: number });
  });
  agent.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      console.error(`  agent exited (${code ?? signal}):\n${stderrTail}`);
  });
  const pid = agent.pid as number;
  try {
    const windowEnds = () => [
      ...new Set(hub.batches.filter((b) => b.kind === 'metering').map((b) => b.windowEnd ?? 0)),
    ];
    // The first window is partial (metering starts mid-window after the informers synced): skip it.
    const deadline = Date.now() + 600_000;
    let firstCpu: { at: number; ticks: number } | undefined;
    while (windowEnds().length < WINDOWS + 2) {
      if (agent.exitCode !== null) throw new Error(`agent exited: ${stderrTail}`);
      if (Date.now() > deadline) throw new Error(`not enough windows: ${stderrTail}`);
      if (!firstCpu && windowEnds().length === 1)
        firstCpu = { at: Date.now(), ticks: procSample(pid).cpuTicks };
      await sleep(100);
    }
    // Let the last window's batches all arrive.
    await sleep(INTERVAL * 500);
    const end = procSample(pid);
    const measured = windowEnds()
      .sort((a, b) => a - b)
      .slice(1, WINDOWS + 1);
    const perWindow = measured.map((windowEnd) => {
      const batches = hub.batches.filter((b) => b.windowEnd === windowEnd);
      return {
        batches: batches.length,
        pods: batches.reduce((s, b) => s + b.pods, 0),
        bytes: batches.reduce((s, b) => s + b.bytes, 0),
        latency: Math.max(...batches.map((b) => b.at)) / 1000 - windowEnd,
      };
    });
    const latencies = perWindow.map((w) => w.latency).sort((a, b) => a - b);
    const windowsElapsed = (Date.now() - (firstCpu?.at ?? Date.now())) / 1000 / INTERVAL;
    const avg = (f: (w: (typeof perWindow)[number]) => number) =>
      perWindow.reduce((s, w) => s + f(w), 0) / perWindow.length;
    return {
      scenario: scenario.name,
      windows: perWindow.length,
      podsPerWindow: Math.round(avg((w) => w.pods)),
      batchesPerWindow: Math.round(avg((w) => w.batches)),
      mibPerWindow: (avg((w) => w.bytes) / 2 ** 20).toFixed(1),
      latencyMedianS: (latencies[Math.floor(latencies.length / 2)] ?? 0).toFixed(2),
      latencyMaxS: (latencies.at(-1) ?? 0).toFixed(2),
      sampleMedianS: median(ticks.slice(1).map((t) => t.sampleMs / 1000)),
      meterMedianS: median(ticks.slice(1).map((t) => t.meterMs / 1000)),
      cpuPerWindowS: ((end.cpuTicks - (firstCpu?.ticks ?? 0)) / CLK_TCK / windowsElapsed).toFixed(
        2,
      ),
      rssMiB: (end.rssKiB / 1024).toFixed(1),
      peakMiB: (end.hwmKiB / 1024).toFixed(1),
    };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) =>
      agent.exitCode !== null ? resolve(undefined) : agent.once('exit', resolve),
    );
    // Bounded: a wedged socket must not keep the bench from reporting.
    const closing = Promise.all([hub.close(), emu.close()]);
    await Promise.race([closing, sleep(10_000)]);
    await rm(dir, { recursive: true, force: true });
  }
}

const selected = process.env.METER_BENCH ? [process.env.METER_BENCH] : ['small', 'large'];
console.log(
  `metering-collect: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}, interval ${INTERVAL} s, ${WINDOWS} windows measured`,
);
const bundle = join(await mkdtemp(join(tmpdir(), 'meter-bench-')), 'agent.mjs');
await buildAgent(bundle);
const rows: Row[] = [];
for (const key of selected) {
  console.log(`- ${SCENARIOS[key]?.name ?? key}`);
  try {
    rows.push(await run(key, bundle));
  } catch (error) {
    console.error(`  failed: ${error instanceof Error ? error.message.slice(0, 2000) : error}`);
    process.exit(1);
  }
}
console.log(
  '\n| cluster | windows | pods/window | batches/window | MiB/window | boundary → last batch at hub, median (s) | max (s) | sample metrics.k8s.io, median (s) | meter + spool, median (s) | agent CPU per window (s) | RSS (MiB) | peak RSS (MiB) |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows)
  console.log(
    `| ${r.scenario} | ${r.windows} | ${r.podsPerWindow} | ${r.batchesPerWindow} | ${r.mibPerWindow} | ${r.latencyMedianS} | ${r.latencyMaxS} | ${r.sampleMedianS} | ${r.meterMedianS} | ${r.cpuPerWindowS} | ${r.rssMiB} | ${r.peakMiB} |`,
  );
process.exit(0);
