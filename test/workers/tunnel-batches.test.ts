import { runInDurableObject } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MeteringPayload } from '../../protocol/metering-samples';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { adminToken, bearer, call } from './support/auth';
import { clusterStore } from './support/metering';

/**
 * The `batch` / `batch-ack` frames through the real connect route and
 * ClusterTunnel: metering windows land in the cluster's MeteringStore once
 * (acked only after it committed), alerts reach alert routing with the
 * cluster's label, bad batches are refused with an error and acked as
 * rejected so the agent stops resending them.
 */
let admin: Record<string, string>;
beforeAll(async () => {
  admin = bearer(await adminToken());
});

async function register(name: string): Promise<string> {
  const res = await call('/api/v1/clusters', {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ name, description: 'batches', labels: {} }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { joinToken: string }).joinToken;
}

const hourAgo = () => {
  const now = Math.floor(Date.now() / 1000);
  return now - (now % 3600) - 3600;
};

const windowBatch = (start: number): MeteringPayload => ({
  windowStart: start,
  windowEnd: start + 60,
  charging: 'max',
  pods: [
    {
      namespace: 'shop',
      workspace: 'retail',
      node: 'node-1',
      pod: 'web-1',
      workloadKind: 'Deployment',
      workload: 'web',
      cpuCoreSeconds: 30,
      memoryByteSeconds: 60 * 2 ** 30,
      netReceivedBytes: 0,
      netTransmittedBytes: 0,
      pvcByteSeconds: 0,
    },
  ],
});

/** Batches the cluster's store (by its id) recorded, and its minute-level cpu total. */
async function stored(cluster: string) {
  return runInDurableObject(await clusterStore(cluster), (_instance, state) => {
    const sql = state.storage.sql;
    // A store is made on its first batch: none yet, nothing stored.
    if (!sql.exec("SELECT 1 FROM sqlite_master WHERE name = 'ingested'").toArray().length)
      return { batches: [], cpu: 0 };
    return {
      batches: sql
        .exec<{ agent: string; seq: number }>('SELECT agent, seq FROM ingested ORDER BY seq')
        .toArray()
        .map((r) => [r.agent, r.seq]),
      cpu: sql.exec<{ cpu: number }>('SELECT coalesce(sum(cpu), 0) AS cpu FROM facts_minute').one()
        .cpu,
    };
  });
}

const batch = (seq: number, kind: string, payload: unknown, agentId?: string) => ({
  type: 'batch' as const,
  seq,
  kind,
  createdAt: new Date().toISOString(),
  ...(agentId ? { agentId } : {}),
  payload,
});

describe('spooled batches through the tunnel', () => {
  let agent: TestAgent;

  it('hands a metering window to the MeteringStore, acks it, and counts a resend once', async () => {
    const token = await register('batches-1');
    agent = await connectAgent(token, 'agent-a');
    const t = hourAgo();
    await agent.send(batch(1, 'metering', windowBatch(t)));
    expect(await agent.nextOf('batch-ack')).toEqual({
      type: 'batch-ack',
      seq: 1,
      kind: 'metering',
    });
    await agent.send(batch(1, 'metering', windowBatch(t))); // the ack was "lost": resent
    expect(await agent.nextOf('batch-ack')).toEqual({
      type: 'batch-ack',
      seq: 1,
      kind: 'metering',
    });
    await agent.send(batch(2, 'metering', windowBatch(t + 60)));
    expect((await agent.nextOf('batch-ack')).seq).toBe(2);
    expect(await stored('batches-1')).toEqual({
      batches: [
        ['agent-a', 1],
        ['agent-a', 2],
      ],
      cpu: 60,
    });
  });

  it('ingests a replayed batch under the replica that spooled it', async () => {
    const token = await register('batches-2');
    agent = await connectAgent(token, 'agent-renamed');
    await agent.send(batch(7, 'metering', windowBatch(hourAgo()), 'agent-old'));
    expect((await agent.nextOf('batch-ack')).seq).toBe(7);
    expect((await stored('batches-2')).batches).toEqual([['agent-old', 7]]);
  });

  it('refuses an invalid payload or an unknown kind: an error frame and a rejected ack, nothing stored', async () => {
    const token = await register('batches-3');
    agent = await connectAgent(token, 'agent-a');
    const bad = { ...windowBatch(hourAgo()), charging: 'whatever' };
    await agent.send(batch(1, 'metering', bad));
    const error = await agent.nextOf('error');
    expect(error).toMatchObject({ code: 'malformed' });
    expect(error.message).toContain('charging');
    const ack = await agent.nextOf('batch-ack');
    expect(ack).toMatchObject({ seq: 1, kind: 'metering' });
    expect(ack.rejected).toContain('invalid metering batch');

    const backwards = { ...windowBatch(hourAgo()), windowEnd: hourAgo() - 60 };
    await agent.send(batch(2, 'metering', backwards));
    expect((await agent.nextOf('batch-ack')).rejected).toContain('windowEnd');

    await agent.send(batch(3, 'mystery', { a: 1 }));
    expect((await agent.nextOf('batch-ack')).rejected).toContain('unknown batch kind');
    expect((await stored('batches-3')).batches).toEqual([]);

    // The socket stays usable.
    await agent.send(batch(4, 'metering', windowBatch(hourAgo())));
    expect(await agent.nextOf('batch-ack')).toEqual({
      type: 'batch-ack',
      seq: 4,
      kind: 'metering',
    });
  });

  it('routes forwarded Alertmanager alerts with the cluster label added', async () => {
    const token = await register('batches-4');
    agent = await connectAgent(token, 'agent-a');
    const payload = {
      version: '4',
      status: 'firing',
      receiver: 'edgetower',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'InClusterAlert', severity: 'warning', namespace: 'shop' },
          annotations: { summary: 'from the cluster' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
        },
      ],
    };
    await agent.send(batch(1, 'alerts', payload));
    expect(await agent.nextOf('batch-ack')).toEqual({ type: 'batch-ack', seq: 1, kind: 'alerts' });
    const res = await call('/api/v2/alerts?filter=alertname%3D%22InClusterAlert%22', {
      headers: admin,
    });
    expect(res.status).toBe(200);
    const alerts = (await res.json()) as { labels: Record<string, string> }[];
    expect(alerts.map((a) => a.labels)).toEqual([
      { alertname: 'InClusterAlert', severity: 'warning', namespace: 'shop', cluster: 'batches-4' },
    ]);

    await agent.send(batch(2, 'alerts', { version: '4', alerts: [{ labels: {} }] }));
    expect((await agent.nextOf('batch-ack')).rejected).toContain('invalid alerts batch');
  });

  it("never lets an agent post alerts into another cluster's name", async () => {
    const token = await register('batches-5');
    await register('victim-cluster');
    agent = await connectAgent(token, 'agent-a');
    const alert = {
      labels: { alertname: 'Spoofed', cluster: 'victim-cluster', severity: 'critical' },
      annotations: {},
      startsAt: new Date().toISOString(),
    };
    await agent.send(batch(1, 'alerts', { version: '4', alerts: [alert] }));
    expect(await agent.nextOf('batch-ack')).toEqual({ type: 'batch-ack', seq: 1, kind: 'alerts' });
    const res = await call('/api/v2/alerts?filter=alertname%3D%22Spoofed%22', { headers: admin });
    const alerts = (await res.json()) as { labels: Record<string, string> }[];
    // Prometheus' convention for a conflicting target label: the original is kept as exported_<name>.
    expect(alerts.map((a) => a.labels)).toEqual([
      {
        alertname: 'Spoofed',
        severity: 'critical',
        cluster: 'batches-5',
        exported_cluster: 'victim-cluster',
      },
    ]);
  });
});
