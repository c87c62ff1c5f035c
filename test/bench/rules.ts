/**
 * Rule evaluation cost in the agent: 1,000 alerting rules against one REAL
 * Prometheus, the agent's CPU (% of one core, from /proc: utime + stime, as
 * process.cpuUsage counts it) and RSS added over the same agent process
 * without rules, in one run. The agent runs as it ships (the image's
 * bundle and Node flags); the edge is a stub that sends `rules-sync`.
 *
 * Rules are evaluated every 10 s (the shortest group interval the protocol
 * allows), six times as often as the 60 s default: the CPU figure is
 * reported as measured and as its per-60 s equivalent (÷ 6).
 *
 *   npm run bench -- rules
 *   RULES_BENCH_SECONDS=60 npm run bench -- rules
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { AGENT_ENV, AGENT_NODE_FLAGS, buildAgent } from '../../agents/deploy/build';
import type { EvaluatedRule, RulesHealthFrame, RulesSyncFrame } from '../../protocol/rules';
import { encodeControl } from '../../protocol/tunnel';
import { type ProcSample, procSample, spawnBenchAgent } from '../support/bench-agent';
import { startFakeEdge } from '../support/fake-edge';
import { startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';
import { startPrometheus } from '../support/prometheus-server';

const RULES = 1_000;
const GROUPS = 10;
const INTERVAL_SECONDS = 10;
const MEASURE_SECONDS = Number(process.env.RULES_BENCH_SECONDS ?? 30);
const BASELINE_SECONDS = Math.min(MEASURE_SECONDS, 20);
const NAMESPACES = Array.from({ length: 10 }, (_, i) => `team-${i}`);
const CPU_TARGET_PERCENT = 5;
const RSS_TARGET_MIB = 16;
const CLK_TCK = 100; // Linux USER_HZ

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (kib: number) => kib / 1024;

/** 1,000 rules of the shapes clusters run: thresholds, ratios, namespace rules, a few firing. */
function benchRules(): RulesSyncFrame {
  const rules: EvaluatedRule[] = [];
  for (let i = 0; i < RULES; i++) {
    const metric = `bench_metric_${i % 20}`;
    const ns = NAMESPACES[i % NAMESPACES.length] as string;
    const namespaced = i % 4 === 0;
    // One rule in 50 fires (its threshold is below the gauges' values).
    const threshold = i % 50 === 0 ? 0 : 1_000_000;
    const expr = namespaced
      ? `sum by (namespace, pod) (${metric}{namespace="${ns}"}) > ${threshold}`
      : i % 3 === 0
        ? `sum by (namespace) (rate(prometheus_http_requests_total[1m])) * 0 + sum by (namespace) (${metric}) > ${threshold}`
        : `max by (namespace, pod) (${metric}) > ${threshold}`;
    rules.push({
      id: `bench-${i}`,
      name: `BenchRule${i}`,
      level: namespaced ? 'namespace' : 'cluster',
      expr,
      forSeconds: i % 2 ? 0 : 30,
      keepFiringForSeconds: 0,
      severity: 'warning',
      labels: { team: `t${i % 7}` },
      annotations: {
        summary: '{{ $labels.namespace }}/{{ $labels.pod }} at {{ humanize $value }}',
        description: 'value {{ $value }} above ' + threshold,
      },
      ...(namespaced ? { namespace: ns, workspace: `ws-${i % 5}` } : {}),
      metrics: i % 3 === 0 && !namespaced ? [metric, 'prometheus_http_requests_total'] : [metric],
    });
  }
  const perGroup = RULES / GROUPS;
  return {
    type: 'rules-sync',
    hash: 'bench',
    groups: Array.from({ length: GROUPS }, (_, g) => ({
      name: `bench-${g}`,
      intervalSeconds: INTERVAL_SECONDS,
      rules: rules.slice(g * perGroup, (g + 1) * perGroup),
    })),
  };
}

function sample(pid: number): ProcSample {
  return procSample(pid);
}

async function measure(
  pid: number,
  seconds: number,
): Promise<{ cpuPercent: number; rssMiB: number }> {
  const start = sample(pid);
  const startedAt = Date.now();
  let rssSum = 0;
  let n = 0;
  while (Date.now() - startedAt < seconds * 1000) {
    await sleep(500);
    rssSum += sample(pid).rssKiB;
    n++;
  }
  const end = sample(pid);
  const elapsed = (Date.now() - startedAt) / 1000;
  return {
    cpuPercent: ((end.cpuTicks - start.cpuTicks) / CLK_TCK / elapsed) * 100,
    rssMiB: mib(rssSum / Math.max(1, n)),
  };
}

const prom = await startPrometheus({ namespaces: NAMESPACES });
for (const [n, ns] of NAMESPACES.entries())
  for (let m = 0; m < 20; m++)
    for (let p = 0; p < 5; p++)
      prom.exporter.set(ns, `bench_metric_${m}`, { pod: `pod-${p}` }, 10 + n + m + p);
await prom.waitForSeries('bench_metric_19', 30_000);

const emu = await startKubeEmulator();
emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
const kubeconfig = join(await mkdtemp(join(tmpdir(), 'rules-bench-')), 'kubeconfig');
await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
const token = 'bench-join-token';
const health: RulesHealthFrame[] = [];
let alertBatches = 0;
let agentSocket: WebSocket | undefined;
const edge = await startFakeEdge({
  token,
  cluster: 'bench',
  onConnection(ws) {
    agentSocket = ws;
  },
  onFrame(ws, frame) {
    if (frame.type === 'rules-health') health.push(frame);
    if (frame.type === 'batch') {
      if (frame.kind === 'alerts') alertBatches++;
      ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
    }
  },
});
const bundle = join(await mkdtemp(join(tmpdir(), 'rules-bench-')), 'agent.mjs');
await buildAgent(bundle);
const agent: ChildProcess = spawnBenchAgent({
  bundle,
  nodeFlags: AGENT_NODE_FLAGS,
  env: AGENT_ENV,
  hubUrl: edge.url,
  token,
  kubeconfig,
  extraArgs: [
    '--prometheus-url',
    prom.url,
    '--data-dir',
    await mkdtemp(join(tmpdir(), 'rules-bench-')),
  ],
});
let stderrTail = '';
agent.stderr?.on('data', (chunk: Buffer) => {
  stderrTail = (stderrTail + chunk.toString()).slice(-4000);
});
const pid = agent.pid as number;

try {
  console.log(
    `rules: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}, ${RULES} rules in ${GROUPS} groups every ${INTERVAL_SECONDS} s`,
  );
  const deadline = Date.now() + 30_000;
  while (!agentSocket) {
    if (agent.exitCode !== null || Date.now() > deadline)
      throw new Error(`agent not connected: ${stderrTail}`);
    await sleep(100);
  }
  await sleep(10_000); // leader, informers synced, first metering
  const baseline = await measure(pid, BASELINE_SECONDS);
  console.log(
    `  without rules: ${baseline.cpuPercent.toFixed(2)} % CPU, ${baseline.rssMiB.toFixed(1)} MiB RSS`,
  );

  agentSocket.send(encodeControl(benchRules()));
  const warm = Date.now() + 2 * INTERVAL_SECONDS * 1000 + 2000;
  while (Date.now() < warm) await sleep(500);
  const evaluated = health.at(-1)?.rules ?? [];
  if (evaluated.filter((r) => r.health !== 'unknown').length < RULES)
    throw new Error(
      `only ${evaluated.filter((r) => r.health !== 'unknown').length} rules evaluated: ${stderrTail}`,
    );
  const withRules = await measure(pid, MEASURE_SECONDS);
  const last = health.at(-1)?.rules ?? [];
  const byHealth = (h: string) => last.filter((r) => r.health === h).length;
  const evaluationMs = last.map((r) => r.evaluationMs).sort((a, b) => a - b);
  const addedCpu = withRules.cpuPercent - baseline.cpuPercent;
  const per60 = addedCpu * (INTERVAL_SECONDS / 60);
  const addedRss = withRules.rssMiB - baseline.rssMiB;
  console.log(
    `  with rules: ${withRules.cpuPercent.toFixed(2)} % CPU, ${withRules.rssMiB.toFixed(1)} MiB RSS; health ok ${byHealth('ok')}, error ${byHealth('error')}, unavailable ${byHealth('unavailable')}; firing ${last.filter((r) => r.state === 'firing').length}; alert batches ${alertBatches}; query p50 ${evaluationMs[Math.floor(evaluationMs.length / 2)]?.toFixed(1)} ms, p99 ${evaluationMs[Math.floor(evaluationMs.length * 0.99)]?.toFixed(1)} ms`,
  );
  const ok = per60 <= CPU_TARGET_PERCENT && addedRss <= RSS_TARGET_MIB && byHealth('ok') === RULES;
  const header = [
    'rules',
    'interval',
    'CPU added (% of a core)',
    'per 60 s interval',
    'RSS added (MiB)',
    'target',
    'ok',
  ];
  console.log(`\n| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  console.log(
    `| ${RULES} | ${INTERVAL_SECONDS} s | ${addedCpu.toFixed(2)} | ${per60.toFixed(2)} | ${addedRss.toFixed(1)} | ≤ ${CPU_TARGET_PERCENT} % at 60 s, ≤ ${RSS_TARGET_MIB} MiB | ${ok ? 'yes' : 'NO'} |`,
  );
  process.exitCode = ok ? 0 : 1;
} finally {
  agent.kill('SIGTERM');
  await new Promise((resolve) =>
    agent.exitCode !== null ? resolve(undefined) : agent.once('exit', resolve),
  );
  await edge.close();
  await emu.close();
  await prom.close();
}
