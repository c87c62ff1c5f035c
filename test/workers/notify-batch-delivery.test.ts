import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../functions/alerting/route';
import worker from '../../functions/index';
import { type Fixture, seedFixture } from './support/fixture';
import {
  apiWith,
  devEnv,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from './support/notify';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const payload = webhookPayload([], { groupLabels: {}, commonLabels: { alertname: 'Flaky' } });

interface Pending {
  body: DeliveryMessage;
  attempts: number;
}

/** One consumer batch (as the queue would hand it); returns the messages it asked to retry. */
async function consumeOnce(pending: Pending[]): Promise<{ retried: Pending[]; acked: number }> {
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    pending.map((p, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: p.attempts,
      body: p.body,
    })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, devEnv(), ctx);
  const result = await getQueueResult(batch, ctx);
  expect(result.ackAll).toBe(false);
  expect(result.retryBatch.retry).toBe(false);
  // Every message is settled one way or the other, never both, never neither.
  expect(result.explicitAcks.length + result.retryMessages.length).toBe(pending.length);
  const retriedIds = new Set(result.retryMessages.map((r: { msgId: string }) => r.msgId));
  return {
    acked: result.explicitAcks.length,
    retried: pending
      .filter((_, i) => retriedIds.has(`m${i}`))
      .map((p) => ({ body: p.body, attempts: p.attempts + 1 })),
  };
}

describe('consumer batches against a sink failing 30% of requests', () => {
  it('delivers every (notification, channel) exactly once across retried batches', async () => {
    const prefix = uniquePrefix('flaky-batch');
    const channels: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await apiWith('POST', '/api/v1/notification/channels', fx.as('admin'), {
        name: `flaky-${i}`,
        type: 'webhook',
        config: { url: sinkUrl(`${prefix}/flaky/30/ch${i}`) },
      });
      expect(res.status).toBe(201);
      channels.push((res.body as { id: string }).id);
    }
    const notifications = Array.from({ length: 20 }, () => crypto.randomUUID());
    let pending: Pending[] = notifications.flatMap((notificationId) =>
      channels.map((channelId) => ({
        attempts: 1,
        body: {
          notificationId,
          channelId,
          receiverId: 'r',
          receiverName: 'ops',
          owner: 'platform',
          createdAt: Date.now(),
          payload,
        },
      })),
    );
    let rounds = 0;
    let acked = 0;
    while (pending.length && rounds < 10) {
      const outcome = await consumeOnce(pending);
      acked += outcome.acked;
      pending = outcome.retried;
      rounds++;
    }
    expect(pending).toEqual([]);
    expect(acked).toBe(100);
    const received = await sinkRecords(prefix);
    const keys = received.map((r) => `${r.headers['idempotency-key']}|${r.path}`);
    expect(keys).toHaveLength(100);
    expect(new Set(keys).size).toBe(100);
    const rows = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM notification_deliveries WHERE status = 'delivered' AND notification_id IN (SELECT value FROM json_each(?))",
    )
      .bind(JSON.stringify(notifications))
      .first<{ n: number }>();
    expect(rows?.n).toBe(100);
  });
});
