import { createDb, type Database } from '../../db/client';
import { type ChannelRow, findChannel } from '../../db/queries/notify-channels';
import { findDelivery, recordAttempt } from '../../db/queries/notify-deliveries';
import type { DeliveryMessage } from '../alerting/route';
import type { Env } from '../env';
import type { ChannelConfig } from './channel-configs';
import { channelConfig } from './channel-store';
import { sendToChannel } from './deliver';
import { rateLimitsOf, waitForSlots } from './rate-limits';

/** Must equal `max_retries` of the consumer in wrangler.toml: after it the message goes to the dead-letter queue. */
export const NOTIFY_MAX_RETRIES = 10;

/**
 * 5 s, 10 s, 20 s, … (NOTIFY_RETRY_BASE_SECONDS doubles) capped at 10
 * minutes, with jitter so the retries of one outage spread out.
 */
export function backoffSeconds(attempt: number, baseSeconds = 5, random = Math.random): number {
  const base = Math.min(600, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** Whole seconds past the wait, spread a little so deferred deliveries do not all return at once. */
export const deferSeconds = (retryAfterMs: number, random = Math.random) =>
  Math.min(43_200, Math.ceil(retryAfterMs / 1000) + Math.floor(random() * 3));

const retryBase = (env: Env) => {
  const value = Number(env.NOTIFY_RETRY_BASE_SECONDS);
  return Number.isFinite(value) && value > 0 ? value : 5;
};

interface LoadedChannel {
  row: ChannelRow;
  config: ChannelConfig;
}

async function deliverOne(
  env: Env,
  db: Database,
  message: Message<DeliveryMessage>,
  channelOf: (id: string) => Promise<LoadedChannel | undefined>,
): Promise<void> {
  const m = message.body;
  // The dedup key: a redelivery after a lost ack finds the success and does not post twice.
  const previous = await findDelivery(db, m.notificationId, m.channelId);
  if (previous?.status === 'delivered') return message.ack();
  const record = {
    notificationId: m.notificationId,
    channelId: m.channelId,
    receiverId: m.receiverId,
    receiverName: m.receiverName,
    owner: m.owner,
    alerts: m.payload.alerts.length,
    attempts: message.attempts,
  };
  const loaded = await channelOf(m.channelId);
  if (!loaded) {
    await recordAttempt(db, {
      ...record,
      channelName: '(deleted)',
      status: 'failed',
      latencyMs: null,
      error: 'channel deleted',
    });
    return message.ack();
  }
  const { row: channel, config } = loaded;
  const now = Date.now();
  const limits = await rateLimitsOf(channel.type, channel.id, config);
  const result = await sendToChannel(
    env,
    channel.type,
    { config, payload: m.payload, notificationId: m.notificationId, now },
    limits.length ? (messages) => waitForSlots(db, limits, messages, now) : undefined,
  );
  const base = { ...record, channelName: channel.name, latencyMs: result.latencyMs };
  if (result.ok) {
    await recordAttempt(db, { ...base, status: 'delivered', error: null });
    return message.ack();
  }
  if ('retryAfterMs' in result) {
    // Over a rate limit nothing was tried: a fresh message later, so waiting never spends
    // the retries that lead to the dead-letter queue (and the history keeps its attempts).
    await recordAttempt(db, { ...base, latencyMs: null, status: 'retrying', error: result.error });
    await env.NOTIFICATIONS.send(
      { ...m, deferrals: (m.deferrals ?? 0) + 1 },
      { delaySeconds: deferSeconds(result.retryAfterMs), contentType: 'json' },
    );
    return message.ack();
  }
  const last = message.attempts > NOTIFY_MAX_RETRIES;
  await recordAttempt(db, {
    ...base,
    status: last ? 'failed' : 'retrying',
    error: result.error.slice(0, 1000),
  });
  // On the last attempt retry() hands the message to the dead-letter queue.
  message.retry({ delaySeconds: backoffSeconds(message.attempts, retryBase(env)) });
}

/**
 * The `notifications` queue consumer: each message is acked or retried on
 * its own (never the whole batch), with exponential backoff.
 */
export async function consumeNotifications(
  batch: MessageBatch<DeliveryMessage>,
  env: Env,
): Promise<void> {
  const db = createDb(env.DB);
  // A batch mostly fans one notification out to a few channels: load and decrypt each once.
  const channels = new Map<string, Promise<LoadedChannel | undefined>>();
  const channelOf = (id: string) => {
    let loaded = channels.get(id);
    if (!loaded) {
      loaded = findChannel(db, id).then(async (row) =>
        row ? { row, config: await channelConfig(env, row) } : undefined,
      );
      channels.set(id, loaded);
    }
    return loaded;
  };
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        await deliverOne(env, db, message, channelOf);
      } catch (err) {
        console.error(
          JSON.stringify({
            level: 'error',
            msg: 'notification delivery failed',
            error: String(err),
          }),
        );
        message.retry({ delaySeconds: backoffSeconds(message.attempts, retryBase(env)) });
      }
    }),
  );
}
