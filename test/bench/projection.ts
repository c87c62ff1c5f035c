/**
 * Role projection at scale: 1,000 namespaces × 10 bindings (10,000
 * RoleBindings) kept by the agent as it ships (the bundle, its own
 * process) against the Kubernetes API emulator. The stand-in edge sends
 * the projection on every connect, as ClusterTunnel does; three phases,
 * each timed to the leader's `inSync` report with every object in place:
 *   - first sync: the projection arrives on a reconnect, nothing exists yet;
 *   - reconnect: everything in place (a verification pass, no writes);
 *   - drift: 500 RoleBindings deleted behind the agent's back (its watch sees it).
 * Passes when every phase is in sync within 30 s.
 *
 *   npm run bench -- projection
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WebSocket } from 'ws';
import { AGENT_ENV, AGENT_NODE_FLAGS, buildAgent } from '../../agents/deploy/build';
import type {
  RoleProjectionFrame,
  RoleProjectionStatusFrame,
} from '../../functions/projection/frames';
import { encodeControl } from '../../functions/tunnel/protocol';
import { procSample, spawnBenchAgent } from '../support/bench-agent';
import { startFakeEdge } from '../support/fake-edge';
import { type KubeObject, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';

const NAMESPACES = Number(process.env.PROJECTION_BENCH_NAMESPACES ?? 1_000);
const BINDINGS = Number(process.env.PROJECTION_BENCH_BINDINGS ?? 10);
const WORKSPACES = 10;
const LIMIT_SECONDS = 30;
const roles = ['admin', 'edit', 'view'] as const;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (kib: number) => (kib / 1024).toFixed(1);

function projection(): RoleProjectionFrame {
  const namespaces: RoleProjectionFrame['namespaces'] = [];
  for (let n = 0; n < NAMESPACES; n++) {
    const bindings: RoleProjectionFrame['namespaces'][number]['bindings'] = [];
    for (let b = 0; b < BINDINGS; b++)
      bindings.push({
        roleRef: { kind: 'ClusterRole', name: roles[b % roles.length] ?? 'view' },
        subject: { kind: 'User', name: `user-${n}-${b}` },
      });
    namespaces.push({
      namespace: `ns-${n}`,
      workspace: `ws-${n % WORKSPACES}`,
      bindings,
      roles: [],
    });
  }
  return { type: 'role-projection', revision: 1, hash: 'bench', workspaces: [], namespaces };
}

const emu = await startKubeEmulator({ maxRecordedRequests: 1000, eventWindow: 100_000 });
const namespaceObjects: KubeObject[] = [{ metadata: { name: 'edgetower-system' } }];
for (let n = 0; n < NAMESPACES; n++)
  namespaceObjects.push({
    metadata: { name: `ns-${n}`, labels: { 'kubesphere.io/workspace': `ws-${n % WORKSPACES}` } },
  });
emu.store.load('namespaces', namespaceObjects);

const frame = projection();
const expected = NAMESPACES * BINDINGS;
const token = 'bench-join-token';
let socket: WebSocket | undefined;
let sendProjection = false;
const reports: (RoleProjectionStatusFrame & { at: number })[] = [];
const edge = await startFakeEdge({
  token,
  cluster: 'bench',
  onConnection(ws) {
    socket = ws;
    if (sendProjection) ws.send(encodeControl(frame));
  },
  onFrame(_ws, f) {
    if (f.type === 'role-projection-status') reports.push({ ...f, at: Date.now() });
  },
});

const dir = await mkdtemp(join(tmpdir(), 'projection-bench-'));
const bundle = join(dir, 'agent.mjs');
await buildAgent(bundle);
const kubeconfig = join(dir, 'kubeconfig');
await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
const agent: ChildProcess = spawnBenchAgent({
  bundle,
  nodeFlags: AGENT_NODE_FLAGS,
  env: AGENT_ENV,
  hubUrl: edge.url,
  token,
  kubeconfig,
});
let synced = false;
let tail = '';
agent.stderr?.on('data', (chunk: Buffer) => {
  tail = (tail + chunk.toString()).slice(-4000);
  if (chunk.toString().includes('"inventory synced"')) synced = true;
});

const managed = () =>
  emu.store
    .list('rolebindings')
    .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'edgetower').length;

interface Phase {
  phase: string;
  seconds: number;
  written: number;
  objects: number;
  rssMiB: string;
  pass: boolean;
}
const phases: Phase[] = [];

/** Does `disturb` (drop the tunnel: the agent redials at once) and times the way back to in-sync. */
async function timeToSync(phase: string, disturb: () => void): Promise<void> {
  const from = reports.length;
  const started = Date.now();
  disturb();
  const deadline = started + 120_000;
  let report: (typeof reports)[number] | undefined;
  while (Date.now() < deadline) {
    report = reports.slice(from).find((r) => r.inSync && r.objects === expected);
    if (report && managed() === expected) break;
    report = undefined;
    await sleep(20);
  }
  const written = reports.slice(from).reduce((sum, r) => sum + r.written, 0);
  const seconds = report ? (report.at - started) / 1000 : Number.NaN;
  phases.push({
    phase,
    seconds,
    written,
    objects: managed(),
    rssMiB: mib(procSample(agent.pid as number).rssKiB),
    pass: seconds <= LIMIT_SECONDS,
  });
}

try {
  const deadline = Date.now() + 120_000;
  while (!synced && Date.now() < deadline) await sleep(50);
  if (!synced) throw new Error(`the agent never synced:\n${tail}`);
  await sleep(1000);
  const baseline = procSample(agent.pid as number).rssKiB;
  sendProjection = true;
  const reconnect = () => socket?.terminate();
  await timeToSync('first sync (reconnect)', reconnect);
  await timeToSync('reconnect, all in place', reconnect);
  await timeToSync('500 deleted behind its back (drift)', () => {
    const victims = emu.store
      .list('rolebindings')
      .filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'edgetower')
      .slice(0, 500);
    for (const o of victims)
      emu.store.delete('rolebindings', o.metadata.namespace, o.metadata.name);
  });

  console.log(
    `\nRole projection: ${NAMESPACES} namespaces × ${BINDINGS} bindings = ${expected} RoleBindings; agent RSS before the projection ${mib(baseline)} MiB\n`,
  );
  console.table(
    phases.map((p) => ({
      phase: p.phase,
      'in sync (s)': Number.isFinite(p.seconds) ? p.seconds.toFixed(2) : 'never',
      'objects written': p.written,
      'managed objects': p.objects,
      'agent RSS (MiB)': p.rssMiB,
      'RSS delta (MiB)': mib(Number(p.rssMiB) * 1024 - baseline),
      [`≤ ${LIMIT_SECONDS} s`]: p.pass ? 'yes' : 'NO',
    })),
  );
  if (phases.some((p) => !p.pass)) {
    console.error(tail);
    process.exitCode = 1;
  }
} finally {
  agent.kill('SIGTERM');
  await edge.close();
  await emu.close();
}
