import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectAgent } from './support/agent-socket';
import { adminToken, bearer } from './support/auth';
import { registerCluster } from './support/cluster-tunnel';
import { clusterStore, hoursAgo, storeQuery, windowOf } from './support/metering';

/**
 * Leader hand-over at the edge: the MeteringStore counts each window of a
 * cluster once, from the agent (replica) that delivered it first, whatever
 * other replicas metered the same window too; the first agent's batches of a
 * window it split all count.
 */
let seq = 0;
const store = () => env.METERING_STORE.getByName(`cluster:handover-test-${seq++}`);

async function cpuTotal(stub: ReturnType<typeof store>, start: number, end: number) {
  const result = await stub.query(storeQuery({ start, end }));
  if (!result.ok) throw new Error(result.message);
  return result.groups.reduce((sum, g) => sum + g.periods.reduce((s, q) => s + (q[0] ?? 0), 0), 0);
}

describe('MeteringStore window ownership', () => {
  it('counts a window two agents both metered once, from the first to deliver it', async () => {
    const stub = store();
    const t = hoursAgo(3);
    // Old leader: windows t and t+60; new leader re-meters t+60 (it learned of t only), then t+120.
    expect(await stub.ingest('replica-a', 1, windowOf(t, 60, [{ cores: 1 }]))).toEqual({
      duplicate: false,
    });
    expect(await stub.ingest('replica-a', 2, windowOf(t + 60, 60, [{ cores: 1 }]))).toEqual({
      duplicate: false,
    });
    expect(await stub.ingest('replica-b', 1, windowOf(t + 60, 60, [{ cores: 3 }]))).toEqual({
      duplicate: true,
      window: true,
    });
    expect(await stub.ingest('replica-b', 2, windowOf(t + 120, 60, [{ cores: 2 }]))).toEqual({
      duplicate: false,
    });
    // The old leader's late batch for a window the new one already delivered is dropped.
    expect(await stub.ingest('replica-a', 3, windowOf(t + 120, 60, [{ cores: 5 }]))).toEqual({
      duplicate: true,
      window: true,
    });
    // Resent after a lost ack: still a duplicate, still not counted.
    expect(
      (await stub.ingest('replica-b', 1, windowOf(t + 60, 60, [{ cores: 3 }]))).duplicate,
    ).toBe(true);
    expect(await cpuTotal(stub, t, t + 180)).toBe(60 + 60 + 120);
  });

  it("keeps every part of one agent's split window and none of another's", async () => {
    const stub = store();
    const t = hoursAgo(2);
    for (const [part, pod] of ['p1', 'p2', 'p3'].entries())
      expect(
        (await stub.ingest('replica-a', part, windowOf(t, 60, [{ pod, cores: 1 }]))).duplicate,
      ).toBe(false);
    // The other replica's parts of the same window, also split.
    for (const [part, pod] of ['p1', 'p2'].entries())
      expect(await stub.ingest('replica-b', part, windowOf(t, 60, [{ pod, cores: 4 }]))).toEqual({
        duplicate: true,
        window: true,
      });
    expect(await cpuTotal(stub, t, t + 60)).toBe(3 * 60);
  });

  it('treats a window overlapping an owned one (another interval) as owned', async () => {
    const stub = store();
    const t = hoursAgo(2);
    await stub.ingest('replica-a', 1, windowOf(t, 60, [{ cores: 1 }]));
    expect((await stub.ingest('replica-b', 1, windowOf(t + 30, 60, [{}]))).window).toBe(true);
    // Adjacent is not overlapping: [t+60, t+120) is new.
    expect((await stub.ingest('replica-b', 2, windowOf(t + 60, 60, [{}]))).duplicate).toBe(false);
    expect(await cpuTotal(stub, t, t + 120)).toBe(120);
  });

  it('an empty window claims its time too', async () => {
    const stub = store();
    const t = hoursAgo(2);
    expect((await stub.ingest('replica-a', 1, windowOf(t, 60, []))).duplicate).toBe(false);
    expect((await stub.ingest('replica-b', 1, windowOf(t, 60, [{}]))).window).toBe(true);
    expect(await cpuTotal(stub, t, t + 60)).toBe(0);
  });

  it('forgets window owners with the (agent, seq) ids on the alarm', async () => {
    const stub = store();
    const old = hoursAgo(24 * 9);
    const recent = hoursAgo(1);
    await stub.ingest('replica-a', 1, windowOf(old, 60, [{}]));
    await stub.ingest('replica-a', 2, windowOf(recent, 60, [{}]));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    await runInDurableObject(stub, (_instance, state) => {
      const starts = state.storage.sql
        .exec<{ start: number }>('SELECT start FROM metered_windows ORDER BY start')
        .toArray()
        .map((r) => r.start);
      expect(starts).toEqual([recent]);
    });
  });
});

describe('hand-over duplicates through the tunnel', () => {
  let admin: Record<string, string>;
  beforeAll(async () => {
    admin = { ...bearer(await adminToken()), 'content-type': 'application/json' };
  });

  it("acks the second replica's batch for an owned window (no resend loop) and counts it once", async () => {
    const { joinToken } = await registerCluster(admin, 'handover-tunnel');
    const t = hoursAgo(1);
    const frame = (seq: number, cores: number) => ({
      type: 'batch' as const,
      seq,
      kind: 'metering',
      createdAt: new Date().toISOString(),
      payload: windowOf(t, 60, [{ cores }]),
    });
    const a = await connectAgent(joinToken, 'replica-a');
    await a.send(frame(1, 1));
    expect(await a.nextOf('batch-ack')).toEqual({ type: 'batch-ack', seq: 1, kind: 'metering' });
    a.ws.close();
    // The next leader, on its own socket, metered the same window again.
    const b = await connectAgent(joinToken, 'replica-b');
    await b.send(frame(1, 4));
    expect(await b.nextOf('batch-ack')).toEqual({ type: 'batch-ack', seq: 1, kind: 'metering' });
    const stub = await clusterStore('handover-tunnel');
    expect(await cpuTotal(stub, t, t + 60)).toBe(60);
  });
});
