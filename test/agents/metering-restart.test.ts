import { afterEach, describe, expect, it } from 'vitest';
import { type InventoryPipeline, startInventoryPipeline } from '../../agents/inventory-pipeline';
import { silentLogger } from '../../agents/log';
import { MemorySpool } from '../../agents/memory-spool';
import { type MeteringRunner, startMetering } from '../../agents/metering/metering-runner';
import type { MeteringPayload } from '../../protocol/metering-samples';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { seedOwnedPods } from './metering-fixtures';
import { clientFor, tempDir, waitFor } from './support';

let emu: KubeEmulator;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await emu?.close();
});

/** A leader's metering with a 1 s interval, as the agent runs it, spooling into `spool`. */
async function leader(spool: MemorySpool, dataDir: string | undefined) {
  const { client } = await clientFor(emu);
  const pipeline: InventoryPipeline = startInventoryPipeline({
    client,
    log: silentLogger,
    send: () => {},
    sequence: { next: () => 1, current: () => 1 },
  });
  const runner: MeteringRunner = startMetering({
    client,
    pipeline,
    intervalSeconds: 1,
    charging: 'max',
    dataDir,
    spool,
    submit: (payload) => spool.append('metering', payload),
    log: silentLogger,
  });
  let stopped = false;
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    await runner.stop();
    await pipeline.stop();
  };
  stops.push(kill);
  return kill;
}

async function windowsIn(spool: MemorySpool): Promise<MeteringPayload[]> {
  const out: MeteringPayload[] = [];
  for (const seq of spool.unacknowledged()) {
    const batch = await spool.read(seq);
    if (batch?.kind === 'metering') out.push(batch.payload as MeteringPayload);
  }
  return out;
}

/** Every window starts where the previous one ended: no gap, no overlap. */
function expectContiguous(windows: MeteringPayload[]) {
  expect(windows.length).toBeGreaterThan(3);
  for (let i = 1; i < windows.length; i++)
    expect([i, windows[i]?.windowStart]).toEqual([i, windows[i - 1]?.windowEnd]);
}

describe('metering across a restart', () => {
  it('continues after the last window recorded in the data dir: no gap, nothing twice', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    const dataDir = await tempDir();
    const spool = new MemorySpool('agent-a');
    const kill = await leader(spool, dataDir);
    await waitFor(async () => (await windowsIn(spool)).length >= 2, 15_000);
    await kill();
    // Everything the first run spooled was acknowledged: only the state file remembers.
    const first = await windowsIn(spool);
    for (const seq of spool.unacknowledged()) await spool.ack(seq);
    await new Promise((r) => setTimeout(r, 2500)); // the agent is down for a couple of windows

    const secondSpool = new MemorySpool('agent-a');
    await leader(secondSpool, dataDir);
    await waitFor(async () => (await windowsIn(secondSpool)).length >= 5, 15_000);
    const second = await windowsIn(secondSpool);
    expect(second[0]?.windowStart).toBe(first.at(-1)?.windowEnd);
    expectContiguous([...first, ...second]);
    expect(second.every((w) => w.pods.length === 9)).toBe(true);
  });

  it('without a data-dir record, resumes after the newest window still in the spool', async () => {
    emu = await startKubeEmulator();
    seedOwnedPods(emu);
    const spool = new MemorySpool('agent-a'); // stands for the disk spool the restart replays
    const kill = await leader(spool, undefined);
    await waitFor(async () => (await windowsIn(spool)).length >= 2, 15_000);
    await kill();
    await new Promise((r) => setTimeout(r, 1500));
    const before = (await windowsIn(spool)).length;
    await leader(spool, undefined);
    await waitFor(async () => (await windowsIn(spool)).length >= before + 3, 15_000);
    expectContiguous(await windowsIn(spool));
  });
});
