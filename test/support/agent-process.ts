import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './wrangler-dev';

const root = path.resolve(import.meta.dirname, '../..');
const tsxBin = path.join(root, 'node_modules/.bin/tsx');

export interface AgentProcess {
  name: string;
  child: ChildProcess;
  /** Everything the agent logged (JSON lines). */
  output(): string;
  /** Signals the whole process group (tsx runs node as a child). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
}

export interface AgentProcessOptions {
  name: string;
  hubUrl: string;
  token: string;
  kubeconfig: string;
  prometheusUrl?: string;
  extraArgs?: string[];
  /** Reuse a data dir (spool, metering state) to restart "the same" agent; kept after kill. */
  dataDir?: string;
}

/** Runs the real agent CLI (`tsx agents/main.ts`) as its own process group. */
export async function startAgentProcess(options: AgentProcessOptions): Promise<AgentProcess> {
  const dataDir =
    options.dataDir ?? (await mkdtemp(path.join(tmpdir(), `edgetower-agent-${options.name}-`)));
  const healthPort = await freePort();
  const args = [
    'agents/main.ts',
    '--hub',
    options.hubUrl,
    '--token',
    options.token,
    '--kubeconfig',
    options.kubeconfig,
    '--data-dir',
    dataDir,
    '--agent-id',
    options.name,
    '--health-listen',
    `127.0.0.1:${healthPort}`,
    '--log-level',
    'debug',
    ...(options.prometheusUrl ? ['--prometheus-url', options.prometheusUrl] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(tsxBin, args, {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const signal = (sig: NodeJS.Signals) => {
    if (child.pid === undefined || child.exitCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  return {
    name: options.name,
    child,
    output: () => log,
    signal,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signal('SIGKILL');
      await exited;
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
