import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../agents/log';
import { Spool } from '../../agents/spool';
import { tempDir } from './support';

const open = (dir: string, agentId = 'agent-a', maxBatches?: number) =>
  Spool.open({ dir, agentId, log: silentLogger, maxBatches });

describe('spool', () => {
  it('keeps unacknowledged batches across a restart and replays them in order', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    const b1 = await first.append('metering', { samples: [1] });
    const b2 = await first.append('alerts', { alerts: ['a'] });
    const b3 = await first.append('metering', { samples: [3] });
    expect([b1.seq, b2.seq, b3.seq]).toEqual([1, 2, 3]);
    await first.ack(b1.seq);
    await first.ack(b1.seq); // repeated acks are harmless

    // "Restart": a new process, possibly under a new replica name.
    const second = await open(dir, 'agent-b');
    const pending = await second.pending();
    expect(pending.map((b) => [b.agentId, b.seq, b.kind, b.payload])).toEqual([
      ['agent-a', 2, 'alerts', { alerts: ['a'] }],
      ['agent-a', 3, 'metering', { samples: [3] }],
    ]);
    expect((await second.pending('metering')).map((b) => b.seq)).toEqual([3]);
    const b4 = await second.append('metering', { samples: [4] });
    expect(b4).toMatchObject({ agentId: 'agent-b', seq: 4 });
  });

  it('never reuses a sequence number, even after everything was acknowledged', async () => {
    const dir = await tempDir();
    const first = await open(dir);
    for (let i = 0; i < 3; i++) await first.ack((await first.append('metering', i)).seq);
    expect(first.size).toBe(0);
    const second = await open(dir);
    expect((await second.append('metering', 'next')).seq).toBe(4);
    expect((await readdir(dir)).filter((f) => f.startsWith('batch-'))).toEqual([
      'batch-000000000004.json',
    ]);
  });

  it('discards half-written temp files and unreadable batches, and drops the oldest past its limit', async () => {
    const dir = await tempDir();
    const first = await open(dir, 'agent-a', 2);
    await first.append('m', 1);
    await first.append('m', 2);
    await first.append('m', 3);
    expect((await first.pending()).map((b) => b.payload)).toEqual([2, 3]);
    await writeFile(join(dir, '.batch-000000000009.json.tmp'), '{"half');
    await writeFile(join(dir, 'batch-000000000004.json'), 'not json');
    const second = await open(dir);
    expect((await second.pending()).map((b) => b.seq)).toEqual([2, 3]);
    expect((await readdir(dir)).sort()).toEqual([
      'batch-000000000002.json',
      'batch-000000000003.json',
      'next-seq',
    ]);
    expect((await second.append('m', 5)).seq).toBe(5);
  });
});
