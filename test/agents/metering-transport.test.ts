import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchSender } from '../../agents/batch-sender';
import { silentLogger } from '../../agents/log';
import { Spool } from '../../agents/spool';
import { startTunnel, type Tunnel } from '../../agents/tunnel';
import { type BatchHub, startBatchHub, unusedKubeConfig } from './batch-hub';
import { tempDir, waitFor } from './support';

const TOKEN = 'hub-token';
let hub: BatchHub;
const running: { tunnel: Tunnel; sender: BatchSender }[] = [];

afterEach(async () => {
  for (const { tunnel, sender } of running.splice(0)) {
    sender.close();
    await tunnel.close();
  }
  await hub?.close();
});

/** One agent's transport: a disk spool in `dir`, the tunnel, the sender. */
async function agentTransport(dir: string, options: { maxInFlight?: number } = {}) {
  const spool = await Spool.open({ dir, agentId: 'agent-a', log: silentLogger });
  const tunnel = startTunnel({
    hubUrl: hub.url,
    token: TOKEN,
    agentId: 'agent-a',
    agentVersion: 'test',
    kubeConfig: unusedKubeConfig(),
    log: silentLogger,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  const sender = new BatchSender({
    spool,
    tunnel,
    log: silentLogger,
    maxInFlight: options.maxInFlight,
  });
  running.push({ tunnel, sender });
  await waitFor(() => tunnel.isConnected());
  return { spool, tunnel, sender };
}

/** Stops an agent's transport as a SIGKILL would: nothing flushed, nothing acked. */
async function kill(transport: { tunnel: Tunnel; sender: BatchSender }) {
  const index = running.findIndex((r) => r.tunnel === transport.tunnel);
  running.splice(index, 1);
  transport.sender.close();
  await transport.tunnel.close();
}

const batchFiles = async (dir: string) =>
  (await readdir(dir)).filter((name) => name.startsWith('batch-')).sort();
const seqs = () => hub.received.map((b) => b.seq);

describe('spooled batch transport', () => {
  it('sends batches in order and deletes each from the spool only when it is acked', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const dir = await tempDir();
    const { sender } = await agentTransport(dir);
    for (const n of [1, 2, 3]) await sender.submit('metering', { window: n });
    await waitFor(() => hub.received.length === 3);
    expect(seqs()).toEqual([1, 2, 3]);
    expect(hub.received.map((b) => [b.kind, b.agentId, b.payload])).toEqual([
      ['metering', 'agent-a', { window: 1 }],
      ['metering', 'agent-a', { window: 2 }],
      ['metering', 'agent-a', { window: 3 }],
    ]);
    expect(await batchFiles(dir)).toHaveLength(3); // on disk until acked

    hub.ack(1);
    hub.ack(2);
    await waitFor(async () => (await batchFiles(dir)).length === 1);
    expect(await batchFiles(dir)).toEqual(['batch-000000000003.json']);
  });

  it('after a reconnect resends only what was not acked: nothing twice after an ack', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const { sender, tunnel } = await agentTransport(await tempDir());
    for (const n of [1, 2, 3]) await sender.submit('metering', { window: n });
    await waitFor(() => hub.received.length === 3);
    hub.ack(1);
    hub.ack(2);
    await waitFor(() => sender.backlog === 1);
    hub.dropConnections();
    await waitFor(() => hub.connections === 2 && tunnel.isConnected());
    await waitFor(() => hub.received.length === 4);
    await new Promise((r) => setTimeout(r, 200)); // nothing else trickles in
    expect(seqs()).toEqual([1, 2, 3, 3]);
  });

  it('after a restart resends every unacknowledged batch in order; seqs keep growing', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const dir = await tempDir();
    const first = await agentTransport(dir);
    await first.sender.submit('metering', { window: 1 });
    await first.sender.submit('alerts', { version: '4', alerts: [] });
    await first.sender.submit('metering', { window: 3 });
    await waitFor(() => hub.received.length === 3);
    hub.ack(1);
    await waitFor(() => first.sender.backlog === 2);
    await kill(first);

    hub.received.length = 0;
    hub.mode = 'auto';
    const second = await agentTransport(dir);
    await waitFor(() => hub.received.length === 2);
    expect(hub.received.map((b) => [b.seq, b.kind])).toEqual([
      [2, 'alerts'],
      [3, 'metering'],
    ]);
    await waitFor(async () => (await batchFiles(dir)).length === 0);
    const next = await second.sender.submit('metering', { window: 4 });
    expect(next.seq).toBe(4);
  });

  it('keeps a bounded number of batches in flight', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const { sender } = await agentTransport(await tempDir(), { maxInFlight: 2 });
    for (const n of [1, 2, 3, 4, 5]) await sender.submit('metering', { window: n });
    await waitFor(() => hub.received.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(seqs()).toEqual([1, 2]);
    hub.ack(1);
    await waitFor(() => hub.received.length === 3);
    expect(seqs()).toEqual([1, 2, 3]);
    hub.ack(2);
    hub.ack(3);
    await waitFor(() => hub.received.length === 5);
    expect(seqs()).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops a batch the edge rejected for good instead of resending it forever', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const dir = await tempDir();
    const { sender, tunnel } = await agentTransport(dir);
    await sender.submit('metering', { nonsense: true });
    await waitFor(() => hub.received.length === 1);
    hub.ack(1, 'invalid metering batch: windowStart: Required');
    await waitFor(async () => (await batchFiles(dir)).length === 0);
    hub.dropConnections();
    await waitFor(() => hub.connections === 2 && tunnel.isConnected());
    await new Promise((r) => setTimeout(r, 200));
    expect(seqs()).toEqual([1]);
  });
});
