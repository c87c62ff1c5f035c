import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { takeSendSlots } from '../../db/queries/notify-send-slots';
import type { DeliveryMessage, WebhookPayload } from '../../functions/alerting/route';
import worker from '../../functions/index';
import { DINGTALK_PER_MINUTE } from '../../functions/notify/rate-limits';
import { api, type Fixture, seedFixture } from './support/fixture';
import {
  channelMaker,
  deliveryMessage,
  devEnv,
  firingAlert,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from './support/notify';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});
afterEach(() => vi.useRealTimers());

const payload = webhookPayload([firingAlert()]);

const { channel } = channelMaker(() => fx.as('admin'), 'rl-');

const message = (channelId: string, body: Partial<DeliveryMessage> = {}): DeliveryMessage =>
  deliveryMessage(channelId, payload, body);

interface Requeued {
  body: DeliveryMessage;
  delaySeconds: number | undefined;
}

/**
 * Runs the worker's queue handler on one batch. The producer binding is
 * swapped for one that records what the consumer sends back to the queue
 * (a deferred delivery), so the test sees the message and its delay.
 */
async function consume(bodies: DeliveryMessage[]) {
  const requeued: Requeued[] = [];
  const producer = {
    send: async (body: DeliveryMessage, options?: QueueSendOptions) => {
      requeued.push({ body, delaySeconds: options?.delaySeconds });
    },
    sendBatch: async () => undefined,
  } as unknown as Queue<DeliveryMessage>;
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(
    batch,
    { ...devEnv(), NOTIFICATIONS: producer },
    ctx,
  );
  return { ...(await getQueueResult(batch, ctx)), requeued };
}

const historyOf = async (notificationId: string) =>
  (
    (await api('GET', '/api/v1/notification/history?limit=200', fx.as('admin'))).body as {
      items: { notificationId: string; status: string; error?: string }[];
    }
  ).items.find((h) => h.notificationId === notificationId);

describe('per-webhook rate limits', () => {
  it('DingTalk: 20 a minute per robot even from one concurrent batch; the rest go back to the queue with a delay, never dropped', async () => {
    const prefix = uniquePrefix('rl-ding');
    const id = await channel('dingtalk', {
      webhook: sinkUrl(`${prefix}/robot/send?access_token=r1`),
    });
    vi.useFakeTimers({ toFake: ['Date'] });
    const t0 = Date.now();
    const messages = Array.from({ length: 25 }, () => message(id));
    const first = await consume(messages);
    // Every message is settled: 20 sent, 5 handed back as fresh messages (no retry spent).
    expect(first.explicitAcks).toHaveLength(25);
    expect(first.retryMessages).toEqual([]);
    expect(await sinkRecords(prefix)).toHaveLength(DINGTALK_PER_MINUTE);
    expect(first.requeued).toHaveLength(5);
    for (const r of first.requeued as Requeued[]) {
      expect(r.delaySeconds).toBeGreaterThanOrEqual(60);
      expect(r.delaySeconds).toBeLessThanOrEqual(63);
      expect(r.body.deferrals).toBe(1);
    }
    const deferred = first.requeued.map((r: Requeued) => r.body);
    expect(await historyOf(deferred[0]?.notificationId ?? '')).toMatchObject({
      status: 'retrying',
      error: expect.stringContaining('rate limited'),
    });

    // Still within the minute: deferred again.
    vi.setSystemTime(t0 + 30_000);
    const early = await consume(deferred.slice(0, 1));
    expect(early.requeued).toHaveLength(1);
    expect(early.requeued[0]?.delaySeconds).toBeGreaterThanOrEqual(30);
    expect(early.requeued[0]?.body.deferrals).toBe(2);

    // A minute on, the deferred ones go out.
    vi.setSystemTime(t0 + 61_000);
    const later = await consume(deferred);
    expect(later.explicitAcks).toHaveLength(5);
    expect(later.requeued).toEqual([]);
    expect(await sinkRecords(prefix)).toHaveLength(25);
    for (const m of deferred) expect((await historyOf(m.notificationId))?.status).toBe('delivered');
  });

  it('two channels on one DingTalk robot share its limit; another robot does not', async () => {
    const prefix = uniquePrefix('rl-shared');
    const url = sinkUrl(`${prefix}/robot/send?access_token=shared`);
    const a = await channel('dingtalk', { webhook: url });
    const b = await channel('dingtalk', { webhook: url, language: 'zh' });
    const other = await channel('dingtalk', {
      webhook: sinkUrl(`${prefix}/robot/send?access_token=other`),
    });
    const run = await consume([
      ...Array.from({ length: 15 }, () => message(a)),
      ...Array.from({ length: 15 }, () => message(b)),
      ...Array.from({ length: 3 }, () => message(other)),
    ]);
    expect(run.requeued).toHaveLength(10);
    const records = await sinkRecords(prefix);
    expect(records.filter((r) => r.query.access_token === 'shared')).toHaveLength(20);
    expect(records.filter((r) => r.query.access_token === 'other')).toHaveLength(3);
  });

  it('a channel’s rateLimitPerMinute caps any channel type, counting each part of a split message', async () => {
    const prefix = uniquePrefix('rl-channel');
    const hook = await channel('webhook', {
      url: sinkUrl(`${prefix}/hook`),
      rateLimitPerMinute: 3,
    });
    const free = await channel('webhook', { url: sinkUrl(`${prefix}/free`) });
    const run = await consume([
      ...Array.from({ length: 5 }, () => message(hook)),
      ...Array.from({ length: 5 }, () => message(free)),
    ]);
    expect(run.requeued.map((r: Requeued) => r.body.channelId)).toEqual([hook, hook]);
    const records = await sinkRecords(prefix);
    expect(records.filter((r) => r.path.endsWith('/hook'))).toHaveLength(3);
    expect(records.filter((r) => r.path.endsWith('/free'))).toHaveLength(5);

    // A Discord notification split into several messages takes one slot per message.
    const big: WebhookPayload = {
      ...payload,
      alerts: Array.from({ length: 120 }, (_, i) => ({
        ...(payload.alerts[0] as WebhookPayload['alerts'][number]),
        labels: { alertname: 'HighCPU', pod: `pod-${i}` },
        annotations: { summary: `CPU of pod ${i} is far above its limit` },
      })),
    };
    const discord = await channel('discord', {
      webhookUrl: sinkUrl(`${prefix}/discord`),
      overflow: 'split',
      rateLimitPerMinute: 5,
    });
    const split = await consume([message(discord, { payload: big })]);
    const parts = (await sinkRecords(`${prefix}/discord`)).length;
    // Three or more parts: a second notification would need more than the five slots.
    expect(parts).toBeGreaterThanOrEqual(3);
    expect(parts).toBeLessThanOrEqual(5);
    expect(split.requeued).toEqual([]);
    const next = await consume([message(discord, { payload: big })]);
    expect(next.requeued).toHaveLength(1);
    expect(await sinkRecords(`${prefix}/discord`)).toHaveLength(parts);
  });

  it('says when the slot that frees room ages out of the sliding window', async () => {
    const db = createDb(env.DB);
    const t0 = 1_800_000_000_000;
    for (let i = 0; i < 5; i++)
      expect(await takeSendSlots(db, 'unit:a', 1, 5, 60_000, t0 + i * 1000)).toEqual({
        granted: true,
      });
    expect(await takeSendSlots(db, 'unit:a', 1, 5, 60_000, t0 + 30_000)).toEqual({
      granted: false,
      retryAfterMs: 30_001,
    });
    // Two at once need the two oldest gone.
    expect(await takeSendSlots(db, 'unit:a', 2, 5, 60_000, t0 + 30_000)).toEqual({
      granted: false,
      retryAfterMs: 31_001,
    });
    expect(await takeSendSlots(db, 'unit:a', 1, 5, 60_000, t0 + 60_001)).toEqual({ granted: true });
    expect(await takeSendSlots(db, 'unit:b', 1, 5, 60_000, t0 + 30_000)).toEqual({ granted: true });
  });
});
