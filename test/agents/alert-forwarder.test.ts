import { afterEach, describe, expect, it } from 'vitest';
import {
  ALERTS_KIND,
  type AlertForwarder,
  startAlertForwarder,
} from '../../agents/alert-forwarder';
import { BatchSender } from '../../agents/batch-sender';
import { silentLogger } from '../../agents/log';
import { Spool } from '../../agents/spool';
import { startTunnel, type Tunnel } from '../../agents/tunnel';
import { type BatchHub, startBatchHub, unusedKubeConfig } from './batch-hub';
import { tempDir, waitFor } from './support';

const TOKEN = 'hub-token';
let hub: BatchHub;
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  await hub?.close();
});

/** What an in-cluster Alertmanager's webhook receiver posts. */
const webhookV4 = {
  version: '4',
  groupKey: '{}:{alertname="KubePodCrashLooping"}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'edgetower',
  groupLabels: { alertname: 'KubePodCrashLooping' },
  commonLabels: { alertname: 'KubePodCrashLooping', severity: 'warning' },
  commonAnnotations: {},
  externalURL: 'http://alertmanager:9093',
  alerts: [
    {
      status: 'firing',
      labels: {
        alertname: 'KubePodCrashLooping',
        namespace: 'shop',
        pod: 'web-1',
        severity: 'warning',
      },
      annotations: { summary: 'web-1 is crash looping' },
      startsAt: '2026-12-01T10:00:00Z',
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus:9090/graph',
      fingerprint: 'a1b2c3',
    },
  ],
};

async function forwardingAgent(
  dir: string,
): Promise<{ forwarder: AlertForwarder; url: string; kill(): Promise<void> }> {
  const spool = await Spool.open({ dir, agentId: 'agent-a', log: silentLogger });
  const tunnel: Tunnel = startTunnel({
    hubUrl: hub.url,
    token: TOKEN,
    agentId: 'agent-a',
    agentVersion: 'test',
    kubeConfig: unusedKubeConfig(),
    log: silentLogger,
    backoff: { initialMs: 20, maxMs: 100 },
  });
  const sender = new BatchSender({ spool, tunnel, log: silentLogger });
  const forwarder = await startAlertForwarder({
    listen: { host: '127.0.0.1', port: 0 },
    submit: (payload) => sender.submit(ALERTS_KIND, payload),
    log: silentLogger,
    maxBodyBytes: 64 * 1024,
  });
  let stopped = false;
  const kill = async () => {
    if (stopped) return;
    stopped = true;
    await forwarder.close();
    sender.close();
    await tunnel.close();
  };
  stops.push(kill);
  await waitFor(() => tunnel.isConnected());
  return { forwarder, url: `http://127.0.0.1:${forwarder.port}/alerts`, kill };
}

const post = (url: string, body: string, type = 'application/json') =>
  fetch(url, { method: 'POST', headers: { 'content-type': type }, body });

describe('Alertmanager webhook forwarder', () => {
  it('spools a v4 payload and forwards it through the tunnel as an "alerts" batch', async () => {
    hub = await startBatchHub(TOKEN);
    const { url } = await forwardingAgent(await tempDir());
    const res = await post(url, JSON.stringify(webhookV4));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'success', alerts: 1 });
    await waitFor(() => hub.received.length === 1);
    expect(hub.received[0]).toMatchObject({
      type: 'batch',
      seq: 1,
      kind: 'alerts',
      payload: webhookV4,
    });
  });

  it('answers bad input with 400, oversized bodies with 413, other media types with 415', async () => {
    hub = await startBatchHub(TOKEN);
    const { url } = await forwardingAgent(await tempDir());
    const cases: [string, string, number][] = [
      ['{not json', 'application/json', 400],
      [JSON.stringify([{ labels: { a: 'b' } }]), 'application/json', 400], // an API v2 list, not a webhook
      [JSON.stringify({ version: '3', alerts: [] }), 'application/json', 400],
      [JSON.stringify({ version: '4', alerts: [{ annotations: {} }] }), 'application/json', 400],
      [
        JSON.stringify({ version: '4', alerts: [], pad: 'x'.repeat(70 * 1024) }),
        'application/json',
        413,
      ],
      [JSON.stringify(webhookV4), 'text/plain', 415],
    ];
    for (const [body, type, status] of cases) {
      const res = await post(url, body, type);
      expect({ body: body.slice(0, 40), status: res.status }).toEqual({
        body: body.slice(0, 40),
        status,
      });
      expect(await res.json()).toHaveProperty('message');
    }
    // Chunked, with no content-length to refuse it by: cut off once past the limit.
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 80; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect((await fetch(url)).status).toBe(405);
    expect((await post(url.replace('/alerts', '/elsewhere'), '{}')).status).toBe(404);
    await new Promise((r) => setTimeout(r, 100));
    expect(hub.received).toHaveLength(0); // nothing bad was spooled
  });

  it('resends alerts the edge never acknowledged after the agent restarts', async () => {
    hub = await startBatchHub(TOKEN);
    hub.mode = 'hold';
    const dir = await tempDir();
    const first = await forwardingAgent(dir);
    expect((await post(first.url, JSON.stringify(webhookV4))).status).toBe(200);
    await waitFor(() => hub.received.length === 1);
    await first.kill(); // never acked

    hub.received.length = 0;
    hub.mode = 'auto';
    const second = await forwardingAgent(dir);
    await waitFor(() => hub.received.length === 1);
    expect(hub.received[0]).toMatchObject({ seq: 1, kind: 'alerts', payload: webhookV4 });
    expect((await post(second.url, JSON.stringify(webhookV4))).status).toBe(200);
    await waitFor(() => hub.received.length === 2);
    expect(hub.received.map((b) => b.seq)).toEqual([1, 2]);
  });
});
