import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { upsertSilence } from '../../db/queries/alerts';
import type { DeliveryMessage } from '../../functions/alerting/route';
import { route, routed } from './support/alerts';

// In the future, so that no real alarm rings during a test (time is passed explicitly).
const T0 = Date.parse('2036-11-26T10:00:00Z');
const HOUR = 3600_000;
const firing = (at: number) => ({ startsAt: at, endsAt: at + HOUR });

let sent: DeliveryMessage[] = [];
beforeEach(() => {
  sent = [];
  vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockImplementation(async (batch) => {
    for (const m of batch) sent.push(m.body);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
});
afterEach(() => vi.restoreAllMocks());

let shardSeq = 0;
const shard = () => env.ALERT_GROUPS.getByName(`test-shard-${shardSeq++}`);

describe('AlertGroups: grouping timers', () => {
  it('waits group_wait, then sends one notification per group and channel', async () => {
    const stub = shard();
    const r = route({ channelIds: ['c1', 'c2'] });
    await stub.ingest(
      [
        routed({ alertname: 'HighCPU', pod: 'a' }, firing(T0), [r]),
        routed({ alertname: 'HighCPU', pod: 'b' }, firing(T0), [r]),
        routed({ alertname: 'DiskFull', pod: 'a' }, firing(T0), [r]),
      ],
      T0,
    );
    expect(await stub.flush(T0 + 29_999)).toBe(0);
    expect(sent).toHaveLength(0);
    expect(await stub.flush(T0 + 30_000)).toBe(2);
    expect(sent).toHaveLength(4);
    const cpu = sent.filter((m) => m.payload.groupLabels.alertname === 'HighCPU');
    expect(cpu.map((m) => m.channelId).sort()).toEqual(['c1', 'c2']);
    expect(cpu[0]?.payload.alerts.map((a) => a.labels.pod).sort()).toEqual(['a', 'b']);
    expect(cpu[0]?.payload).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      commonLabels: { alertname: 'HighCPU' },
    });
    expect(cpu[0]?.notificationId).toBe(cpu[1]?.notificationId);
  });

  it('deduplicates resent alerts by fingerprint and keeps the first startsAt', async () => {
    const stub = shard();
    const labels = { alertname: 'X', instance: 'i1' };
    await stub.ingest([routed(labels, firing(T0))], T0);
    await stub.ingest(
      [routed({ instance: 'i1', alertname: 'X' }, firing(T0 + 60_000))],
      T0 + 60_000,
    );
    const alerts = await stub.listAlerts([], T0 + 60_000);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.startsAt).toBe(T0);
    expect(alerts[0]?.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('adds new alerts at group_interval, repeats after repeat_interval, quiet otherwise', async () => {
    const stub = shard();
    const r = route({ groupIntervalMs: 300_000, repeatIntervalMs: HOUR });
    await stub.ingest(
      [routed({ alertname: 'A', pod: '1' }, { startsAt: T0, endsAt: T0 + 10 * HOUR }, [r])],
      T0,
    );
    await stub.flush(T0 + 30_000);
    expect(sent).toHaveLength(1);
    // Resent with nothing new: no notification at the next interval.
    await stub.ingest(
      [routed({ alertname: 'A', pod: '1' }, { startsAt: T0, endsAt: T0 + 10 * HOUR }, [r])],
      T0 + 60_000,
    );
    expect(await stub.flush(T0 + 330_000)).toBe(0);
    // A new alert joins: sent at the following group_interval tick, not before.
    await stub.ingest(
      [routed({ alertname: 'A', pod: '2' }, { startsAt: T0, endsAt: T0 + 10 * HOUR }, [r])],
      T0 + 400_000,
    );
    expect(await stub.flush(T0 + 500_000)).toBe(0);
    expect(await stub.flush(T0 + 630_000)).toBe(1);
    expect(sent[1]?.payload.alerts).toHaveLength(2);
    expect(sent[1]?.notificationId).not.toBe(sent[0]?.notificationId);
    // Nothing new for an hour: a reminder.
    expect(await stub.flush(T0 + 630_000 + HOUR)).toBe(1);
  });

  it('sends resolved notifications (only for alerts it announced) and then forgets the group', async () => {
    const stub = shard();
    await stub.ingest([routed({ alertname: 'R' }, firing(T0))], T0);
    await stub.flush(T0 + 30_000);
    await stub.ingest(
      [routed({ alertname: 'R' }, { startsAt: T0, endsAt: T0 + 100_000 })],
      T0 + 100_000,
    );
    expect(await stub.flush(T0 + 330_000)).toBe(1);
    expect(sent[1]?.payload.status).toBe('resolved');
    expect(sent[1]?.payload.alerts[0]?.endsAt).toBe(new Date(T0 + 100_000).toISOString());
    expect(await stub.groups()).toHaveLength(0);
  });

  it('does not send resolved notifications when the receiver does not want them', async () => {
    const stub = shard();
    const r = route({ sendResolved: false });
    await stub.ingest([routed({ alertname: 'R' }, firing(T0), [r])], T0);
    await stub.flush(T0 + 30_000);
    await stub.ingest(
      [routed({ alertname: 'R' }, { startsAt: T0, endsAt: T0 + 100_000 }, [r])],
      T0 + 100_000,
    );
    expect(await stub.flush(T0 + 330_000)).toBe(0);
    expect(sent).toHaveLength(1);
  });

  it('an alert resolved before group_wait ends is never sent', async () => {
    const stub = shard();
    await stub.ingest([routed({ alertname: 'Blip' }, firing(T0))], T0);
    await stub.ingest(
      [routed({ alertname: 'Blip' }, { startsAt: T0, endsAt: T0 + 5_000 })],
      T0 + 5_000,
    );
    expect(await stub.flush(T0 + 30_000)).toBe(0);
    expect(await stub.groups()).toHaveLength(0);
  });
});

describe('AlertGroups: the alarm', () => {
  it('arms the alarm at the earliest due group and flushes when it rings', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(T0);
      const stub = shard();
      await stub.ingest([routed({ alertname: 'Alarmed' }, firing(T0))]);
      const alarmAt = await runInDurableObject(stub, (_instance, state) =>
        state.storage.getAlarm(),
      );
      expect(alarmAt).toBe(T0 + 30_000);
      vi.setSystemTime(T0 + 30_000);
      expect(await runDurableObjectAlarm(stub)).toBe(true);
      expect(sent).toHaveLength(1);
      const next = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
      expect(next).toBe(T0 + 30_000 + 300_000);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('AlertGroups: silences and inhibition', () => {
  it('a silence with regex and negative matchers mutes only what it matches', async () => {
    const db = createDb(env.DB);
    await upsertSilence(db, {
      id: 'sil-1',
      matchers: [
        { name: 'alertname', op: '=~', value: 'Disk.*' },
        { name: 'env', op: '!=', value: 'prod' },
      ],
      startsAt: new Date(T0 - HOUR),
      endsAt: new Date(T0 + HOUR),
      createdBy: 'tester',
      comment: 'maintenance',
      author: 'admin',
    });
    const stub = shard();
    const r = route({ groupBy: ['alertname', 'env'] });
    await stub.ingest(
      [
        routed({ alertname: 'DiskFull', env: 'dev' }, firing(T0), [r]),
        routed({ alertname: 'DiskFull', env: 'prod' }, firing(T0), [r]),
        routed({ alertname: 'CPU', env: 'dev' }, firing(T0), [r]),
      ],
      T0,
    );
    expect(await stub.flush(T0 + 30_000)).toBe(2);
    expect(
      sent
        .map((m) => m.payload.groupLabels)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([
      { alertname: 'CPU', env: 'dev' },
      { alertname: 'DiskFull', env: 'prod' },
    ]);
    const listed = await stub.listAlerts(
      [
        {
          id: 'sil-1',
          matchers: [
            { name: 'alertname', op: '=~', value: 'Disk.*' },
            { name: 'env', op: '!~', value: 'prod|staging' },
          ],
        },
      ],
      T0 + 30_000,
    );
    const dev = listed.find((a) => a.labels.env === 'dev' && a.labels.alertname === 'DiskFull');
    expect(dev).toMatchObject({ state: 'suppressed', silencedBy: ['sil-1'] });
    expect(listed.find((a) => a.labels.alertname === 'CPU')?.state).toBe('active');
  });

  it('a critical alert inhibits the warning of the same alertname and namespace only', async () => {
    const stub = shard();
    const r = route({ groupBy: ['alertname', 'namespace', 'severity'] });
    await stub.ingest(
      [
        routed({ alertname: 'Lag', namespace: 'web', severity: 'critical' }, firing(T0), [r]),
        routed({ alertname: 'Lag', namespace: 'web', severity: 'warning' }, firing(T0), [r]),
        routed({ alertname: 'Lag', namespace: 'db', severity: 'warning' }, firing(T0), [r]),
      ],
      T0,
    );
    expect(await stub.flush(T0 + 30_000)).toBe(2);
    const sentLabels = sent
      .map((m) => `${m.payload.groupLabels.namespace}/${m.payload.groupLabels.severity}`)
      .sort();
    expect(sentLabels).toEqual(['db/warning', 'web/critical']);
    const listed = await stub.listAlerts([], T0 + 30_000);
    const muted = listed.find(
      (a) => a.labels.namespace === 'web' && a.labels.severity === 'warning',
    );
    const critical = listed.find((a) => a.labels.severity === 'critical');
    expect(muted?.inhibitedBy).toEqual([critical?.fingerprint]);
  });

  it('an inhibited alert is notified once its inhibitor resolves', async () => {
    const stub = shard();
    const r = route({ groupBy: ['alertname', 'severity'] });
    await stub.ingest(
      [
        routed({ alertname: 'Lag', namespace: 'web', severity: 'critical' }, firing(T0), [r]),
        routed({ alertname: 'Lag', namespace: 'web', severity: 'warning' }, firing(T0), [r]),
      ],
      T0,
    );
    await stub.flush(T0 + 30_000);
    expect(sent).toHaveLength(1);
    await stub.ingest(
      [
        routed(
          { alertname: 'Lag', namespace: 'web', severity: 'critical' },
          { startsAt: T0, endsAt: T0 + 60_000 },
          [r],
        ),
      ],
      T0 + 60_000,
    );
    await stub.flush(T0 + 330_000);
    const statuses = sent
      .slice(1)
      .map((m) => `${m.payload.groupLabels.severity}:${m.payload.status}`)
      .sort();
    expect(statuses).toEqual(['critical:resolved', 'warning:firing']);
  });
});
