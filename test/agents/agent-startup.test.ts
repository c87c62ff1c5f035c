import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InventorySnapshot } from '../../functions/tunnel/inventory';
import { type HubStub, startHubStub } from '../support/agent-hub-stub';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { freePort } from '../support/wrangler-dev';
import { tempDir, waitFor } from './support';

/**
 * The real agent process at start-up: plain-HTTP API servers (what
 * `kubectl proxy` hands out), fatal problems that must end the process with
 * one line, and transient ones that keep it running but unready.
 */

let emu: KubeEmulator | undefined;
let hub: HubStub | undefined;
let agent: ChildProcess | undefined;
let blocker: Server | undefined;
afterEach(async () => {
  if (agent && agent.exitCode === null && agent.pid) process.kill(-agent.pid, 'SIGKILL');
  agent = undefined;
  await hub?.close();
  await emu?.close();
  await new Promise((resolve) => (blocker ? blocker.close(resolve) : resolve(undefined)));
  hub = emu = blocker = undefined;
});

/** A kubeconfig as `kubectl proxy` users write it: http://, no insecure-skip-tls-verify. */
async function plainHttpKubeconfig(server: string, token?: string): Promise<string> {
  const path = join(await tempDir(), 'kubeconfig');
  await writeFile(
    path,
    `apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster:
    server: ${server}
users:
- name: proxy
  user:${token ? `\n    token: ${token}` : ' {}'}
contexts:
- name: proxy
  context: {cluster: proxy, user: proxy}
current-context: proxy
`,
  );
  return path;
}

interface Started {
  child: ChildProcess;
  stderr: string[];
  healthPort: number;
  exited: Promise<number | null>;
}

async function runAgentProcess(kubeconfig: string, healthPort?: number): Promise<Started> {
  hub ??= await startHubStub('join-token-1');
  const port = healthPort ?? (await freePort());
  const child = spawn('node_modules/.bin/tsx', ['agents/main.ts'], {
    detached: true,
    env: {
      PATH: process.env.PATH ?? '',
      EDGETOWER_HUB: hub.url,
      EDGETOWER_TOKEN: 'join-token-1',
      EDGETOWER_KUBECONFIG: kubeconfig,
      EDGETOWER_HEALTH_LISTEN: `127.0.0.1:${port}`,
      EDGETOWER_LOG_LEVEL: 'warn',
      POD_NAME: 'edgetower-agent-startup',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  agent = child;
  const stderr: string[] = [];
  child.stderr?.on('data', (chunk: Buffer) =>
    stderr.push(...chunk.toString().split('\n').filter(Boolean)),
  );
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, stderr, healthPort: port, exited };
}

async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function exitWithin(started: Started, ms: number): Promise<number | null> {
  return Promise.race([
    started.exited,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`agent still running after ${ms} ms`)), ms),
    ),
  ]);
}

describe('agent start-up', () => {
  it('works against a plain-HTTP API server as kubectl does (no insecure-skip-tls-verify needed)', async () => {
    emu = await startKubeEmulator({
      version: '1.19',
      cluster: { nodes: 2, namespaces: 2, pods: 4 },
    });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    const started = await runAgentProcess(await plainHttpKubeconfig(emu.url, emu.token));
    const stub = hub as HubStub;
    const received = await waitFor(
      () => stub.received.find((r) => r.update.type === 'snapshot'),
      60_000,
    );
    const snapshot = received.update as InventorySnapshot;
    expect(snapshot.nodes).toHaveLength(2);
    // /version was read: the cluster is what it says, not "cannot read /version" forever.
    await waitFor(async () => {
      const last = [...stub.received].reverse().find((r) => r.update.cluster);
      return last?.update.cluster?.kubernetesVersion === 'v1.19.0';
    }, 20_000);
    const ready = await waitFor(async () => {
      const r = await readyz(started.healthPort);
      return r.status === 200 ? r : undefined;
    }, 20_000);
    expect(ready.body).toMatchObject({ apiServer: 'ok', degraded: [] });
    expect(started.stderr.join('\n')).not.toContain('cannot read /version');
  }, 90_000);

  it('a taken health port: exits non-zero with one clear line, and never dials the tunnel', async () => {
    emu = await startKubeEmulator();
    const taken = createServer();
    blocker = taken;
    const port = await new Promise<number>((resolve) =>
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port)),
    );
    const started = await runAgentProcess(await plainHttpKubeconfig(emu.url, emu.token), port);
    expect(await exitWithin(started, 30_000)).toBe(1);
    expect(started.stderr).toHaveLength(1);
    expect(JSON.parse(started.stderr[0] ?? '{}')).toMatchObject({
      level: 'error',
      msg: 'agent failed to start',
      error: `health port 127.0.0.1:${port} is already in use (--health-listen)`,
    });
    expect(hub?.connections).toBe(0);
  }, 60_000);

  it('an unusable kubeconfig: exits non-zero with one clear line', async () => {
    const dir = await tempDir();
    const path = join(dir, 'kubeconfig');
    await writeFile(
      path,
      `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443", certificate-authority: ${join(dir, 'missing-ca.crt')}}
users:
- name: u
  user: {token: abc}
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`,
    );
    const started = await runAgentProcess(path);
    expect(await exitWithin(started, 30_000)).toBe(1);
    expect(started.stderr).toHaveLength(1);
    const line = JSON.parse(started.stderr[0] ?? '{}') as { msg?: string; error?: string };
    expect(line.msg).toBe('agent failed to start');
    expect(line.error).toMatch(new RegExp(`^kubeconfig ${path} is not usable: .*missing-ca`));
    expect(hub?.connections).toBe(0);
  }, 60_000);

  it('an API server it cannot reach: keeps running, /readyz false, and the edge is told why', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const started = await runAgentProcess(await plainHttpKubeconfig(nowhere, 'abc'));
    const stub = hub as HubStub;
    const status = await waitFor(
      () => stub.statuses.find((s) => s.some((d) => d.resource === 'apiserver')),
      30_000,
    );
    expect(status.find((d) => d.resource === 'apiserver')?.reason).toMatch(
      /^cannot read \/version: unreachable: .*ECONNREFUSED/,
    );
    const ready = await readyz(started.healthPort);
    expect(ready.status).toBe(503);
    expect(ready.body.apiServer).toMatch(/unreachable/);
    expect(started.child.exitCode).toBeNull();
  }, 60_000);
});
