import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const wranglerBin = path.join(root, 'node_modules/.bin/wrangler');
const tsxBin = path.join(root, 'node_modules/.bin/tsx');
const edgeServer = path.join(import.meta.dirname, 'edge-server.ts');

/** The `wrangler dev` command line, as a user types it. */
const devArgs = (port: number, inspectorPort: number, persistDir: string, varArgs: string[]) => [
  'dev',
  '--ip',
  '127.0.0.1',
  '--port',
  String(port),
  '--inspector-port',
  String(inspectorPort),
  '--persist-to',
  persistDir,
  '--show-interactive-dev-session=false',
  ...varArgs,
];

export const testSecrets = {
  ADMIN_PASSWORD: 'e2e-admin-password',
  SECRETS_KEY: 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=',
};

export interface WranglerDev {
  url: string;
  port: number;
  persistDir: string;
  /** Everything wrangler printed, for failure messages. */
  output(): string;
  /** Stops the edge; `start` again with the same persistDir/port brings it back with its data. */
  stop(): Promise<void>;
}

export interface WranglerDevOptions {
  vars?: Record<string, string>;
  port?: number;
  /** Reuse a state directory (to restart an edge with its data); a fresh temp dir otherwise. */
  persistDir?: string;
  readyTimeoutMs?: number;
  /**
   * false: run test/support/edge-server.ts (wrangler's own dev server without
   * the DevTools inspector, whose per-subrequest tracing no deployed worker
   * pays) — for benchmarks. Default: the `wrangler dev` CLI as a user runs it.
   */
  inspector?: boolean;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(wranglerBin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`wrangler ${args[0]} failed (${code}):\n${out}`)),
    );
  });
}

/** Polls `/healthz` until it answers, failing early if the process exits. */
export async function waitForHealth(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  output: () => string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited early:\n${output()}`);
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`wrangler dev not ready after ${timeoutMs} ms:\n${output()}`);
}

/**
 * Runs the edge as a user would: local D1 migrations applied with wrangler,
 * then `wrangler dev` on a free loopback port with its own state directory.
 */
export async function startWranglerDev(options: WranglerDevOptions = {}): Promise<WranglerDev> {
  const persistDir = options.persistDir ?? (await mkdtemp(path.join(tmpdir(), 'edgetower-e2e-')));
  const port = options.port ?? (await freePort());
  const env = { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' };
  await run(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistDir], env);

  const vars = { ...testSecrets, ...options.vars };
  const varArgs = Object.entries(vars).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const [command, args] =
    options.inspector === false
      ? [tsxBin, [edgeServer, '--port', String(port), '--persist-to', persistDir, ...varArgs]]
      : [wranglerBin, devArgs(port, await freePort(), persistDir, varArgs)];
  const child = spawn(command, args, {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let log = '';
  child.stdout?.on('data', (d) => {
    log += d;
  });
  child.stderr?.on('data', (d) => {
    log += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const output = () => log;
  const stop = async () => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const exited = new Promise((r) => child.once('exit', r));
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await waitForHealth(url, child, options.readyTimeoutMs ?? 90_000, output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, persistDir, output, stop };
}

export async function removeState(dev: WranglerDev): Promise<void> {
  await rm(dev.persistDir, { recursive: true, force: true });
}
