import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { InventorySnapshot } from '../../protocol/inventory';
import { type HubStub, startHubStub } from '../support/agent-hub-stub';
import { type KubeEmulator, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';
import { tempDir, waitFor } from './support';

let emu: KubeEmulator;
let hub: HubStub;
let agent: ChildProcess | undefined;
afterEach(async () => {
  if (agent && agent.exitCode === null) agent.kill('SIGKILL');
  await hub?.close();
  await emu?.close();
});

describe('agent process', () => {
  it('runs from environment variables, pushes a snapshot through the tunnel, and releases its lease on SIGTERM', async () => {
    emu = await startKubeEmulator({
      cluster: { nodes: 3, edgeNodes: 1, namespaces: 2, pods: 12, warningEvents: 2 },
    });
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
    hub = await startHubStub('join-token-1');
    const dir = await tempDir();
    const kubeconfig = join(dir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
    const logs: string[] = [];
    // One node process, as the image runs it (node agent.mjs), with tsx as a loader. Not the tsx
    // CLI: that wrapper relays SIGTERM and SIGKILLs the agent (exit 143) unless the agent's event
    // loop acknowledges within 30 ms, which a loaded machine does not always manage.
    agent = spawn(process.execPath, ['--import', 'tsx', 'agents/main.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        EDGETOWER_HUB: hub.url,
        EDGETOWER_TOKEN: 'join-token-1',
        EDGETOWER_KUBECONFIG: kubeconfig,
        EDGETOWER_DATA_DIR: join(dir, 'data'),
        EDGETOWER_HEALTH_LISTEN: '127.0.0.1:0',
        EDGETOWER_LOG_LEVEL: 'debug',
        POD_NAME: 'edgetower-agent-abc12',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr?.on('data', (chunk: Buffer) =>
      logs.push(...chunk.toString().split('\n').filter(Boolean)),
    );

    const received = await waitFor(
      () => hub.received.find((r) => r.update.type === 'snapshot'),
      60_000,
    );
    const snapshot = received.update as InventorySnapshot;
    expect(snapshot.cluster.kubernetesVersion).toBe('v1.30.2');
    expect(snapshot.nodes.map((n) => [n.name, n.edge])).toEqual([
      ['node-00000', false],
      ['node-00001', false],
      ['node-00002', true],
    ]);
    expect(snapshot.namespaces.reduce((sum, ns) => sum + ns.workloads.pods, 0)).toBe(12);
    const lease = () =>
      emu.store.get('leases', 'edgetower-system', 'edgetower-agent')?.spec as
        | { holderIdentity?: string }
        | undefined;
    expect(lease()?.holderIdentity).toBe('edgetower-agent-abc12');

    // A change reaches the hub as a delta.
    emu.store.delete('nodes', undefined, 'node-00001');
    await waitFor(
      () =>
        hub.received.some(
          (r) => r.update.type === 'delta' && r.update.nodes?.deletes.includes('node-00001'),
        ),
      10_000,
    );

    // Every log line is JSON with a level and the replica's id.
    const parsed = logs.map(
      (line) => JSON.parse(line) as { level: string; msg: string; agentId: string },
    );
    expect(
      parsed.every(
        (l) =>
          ['debug', 'info', 'warn', 'error'].includes(l.level) &&
          l.agentId === 'edgetower-agent-abc12',
      ),
    ).toBe(true);
    expect(parsed.some((l) => l.msg === 'became leader')).toBe(true);

    const proc = agent;
    const exited = new Promise<number | null>((resolve) =>
      proc.once('exit', (code) => resolve(code)),
    );
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(lease()?.holderIdentity).toBe(''); // released: a standby takes over at once
  });
});
