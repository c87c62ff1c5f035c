import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AlertGroups } from '../../functions/alerting/alert-groups';
import {
  jsonBytes,
  QUEUE_BATCH_BYTES,
  QUEUE_BATCH_MESSAGES,
  queueBatches,
} from '../../functions/alerting/queue-batches';
import type { DeliveryMessage } from '../../functions/alerting/route';
import { route, routed } from './support/alerts';

const T0 = Date.parse('2036-11-27T10:00:00Z');
const HOUR = 3600_000;
const firing = { startsAt: T0, endsAt: T0 + HOUR };

let batches: MessageSendRequest<DeliveryMessage>[][] = [];
let failBatch: number | undefined;
beforeEach(() => {
  batches = [];
  failBatch = undefined;
  // As the real service: a batch over 100 messages or 256 KB is refused whole.
  vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockImplementation(async (batch) => {
    const list = [...batch] as MessageSendRequest<DeliveryMessage>[];
    const bytes = list.reduce((sum, m) => sum + jsonBytes(m.body), 0);
    if (list.length > QUEUE_BATCH_MESSAGES || bytes > QUEUE_BATCH_BYTES)
      throw new Error(`batch too large: ${list.length} messages, ${bytes} bytes`);
    if (batches.length === failBatch) {
      failBatch = undefined;
      throw new Error('queue unavailable');
    }
    batches.push(list);
    return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  });
});
afterEach(() => vi.restoreAllMocks());

let shardSeq = 0;
const shard = () => env.ALERT_GROUPS.getByName(`batches-shard-${shardSeq++}`);
const sent = () => batches.flat().map((m) => m.body);

describe('queueBatches', () => {
  it('cuts at 100 messages and at 256 KB, keeping the order', () => {
    const small = Array.from({ length: 250 }, (_, i) => ({ n: i }));
    expect(queueBatches(small).map((b) => b.length)).toEqual([100, 100, 50]);
    const large = Array.from({ length: 7 }, (_, i) => ({ n: i, pad: 'x'.repeat(90_000) }));
    const cut = queueBatches(large);
    expect(cut.map((b) => b.length)).toEqual([2, 2, 2, 1]);
    expect(cut.flat().map((m) => m.body.n)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    // Bytes, not UTF-16 units: 40,000 three-byte characters are 120 KB.
    const wide = Array.from({ length: 3 }, () => ({ text: '警'.repeat(40_000) }));
    expect(queueBatches(wide).map((b) => b.length)).toEqual([2, 1]);
  });
});

describe('AlertGroups: one flush, many groups', () => {
  it('sends the due groups together in full batches', async () => {
    const stub = shard();
    const r = route({
      groupBy: ['alertname', 'instance'],
      channelIds: ['c1', 'c2', 'c3', 'c4', 'c5'],
    });
    await stub.ingest(
      Array.from({ length: 50 }, (_, i) =>
        routed({ alertname: 'Many', instance: `i${i}` }, firing, [r]),
      ),
      T0,
    );
    expect(await stub.flush(T0 + 30_000)).toBe(50);
    // 250 small messages: three sendBatch calls, not one per group.
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(new Set(sent().map((m) => `${m.notificationId}|${m.channelId}`)).size).toBe(250);
  });

  it('splits large notifications so no batch goes over 256 KB', async () => {
    const stub = shard();
    const r = route({ groupBy: ['alertname'], channelIds: ['c1', 'c2', 'c3', 'c4', 'c5'] });
    const big = (alertname: string, i: number) => {
      const item = routed({ alertname, instance: `i${i}` }, firing, [r]);
      item.alert.annotations = { description: 'y'.repeat(15_000) };
      return item;
    };
    // Three groups of four 15 KB alerts: five 60 KB messages each.
    await stub.ingest(
      ['A', 'B', 'C'].flatMap((name) => [0, 1, 2, 3].map((i) => big(name, i))),
      T0,
    );
    expect(await stub.flush(T0 + 30_000)).toBe(3);
    expect(sent()).toHaveLength(15);
    for (const batch of batches)
      expect(batch.reduce((sum, m) => sum + jsonBytes(m.body), 0)).toBeLessThanOrEqual(
        QUEUE_BATCH_BYTES,
      );
  });

  it('a failed send moves no group on: the retry sends the same notification ids', async () => {
    const stub = shard();
    const r = route({ groupBy: ['alertname', 'instance'], channelIds: ['c1'] });
    await stub.ingest(
      Array.from({ length: 150 }, (_, i) =>
        routed({ alertname: 'Retry', instance: `i${i}` }, firing, [r]),
      ),
      T0,
    );
    failBatch = 1; // the first batch goes out, the second fails
    // Inside the object, so the refusal is caught where the alarm would see it.
    const refusal = await runInDurableObject(stub, (instance) =>
      // The pool types instances against its own Env (with TEST_MIGRATIONS).
      (instance as unknown as AlertGroups).flush(T0 + 30_000).then(
        () => 'sent',
        (err: unknown) => String(err),
      ),
    );
    expect(refusal).toContain('queue unavailable');
    const firstTry = sent().map((m) => m.notificationId);
    expect(firstTry).toHaveLength(100);
    expect(await stub.flush(T0 + 31_000)).toBe(150);
    const retry = sent()
      .slice(100)
      .map((m) => m.notificationId);
    expect(retry).toHaveLength(150);
    // The consumer's dedup key (notification, channel) matches what went out before.
    expect(retry.slice(0, 100)).toEqual(firstTry);
    // And once sent, nothing is due again until group_interval.
    expect(await stub.flush(T0 + 32_000)).toBe(0);
  });
});
