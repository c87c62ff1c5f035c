import { createDb, type Database } from '../../db/client';
import { type ChannelRow, findChannel } from '../../db/queries/notify-channels';
import {
  type AttemptRecord,
  deliveredPairs,
  permanentError,
  recordAttempt,
  recordAttempts,
} from '../../db/queries/notify-deliveries';
import type { DeliveryMessage } from '../alerting/route';
import type { Env } from '../env';
import { boundedMap } from '../net/bounded-map';
import type { ChannelConfig } from './channel-configs';
import { channelConfig } from './channel-store';
import { sendToChannel } from './deliver';
import { rateLimitsOf, waitForSlots } from './rate-limits';

/**
 * Deliveries in flight at once per batch: a Worker invocation keeps six
 * outbound connections open at a time (the platform queues the rest), and
 * a hundred sends started at once only crowd out the requests served
 * beside them.
 */
const DELIVERY_CONCURRENCY = 6;

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

/** What to do with a message once the batch's history rows are written. */
type Retry = { ack: false; delaySeconds: number };
type Outcome = { ack: true } | Retry;

interface BatchContext {
  env: Env;
  db: Database;
  channelOf: (id: string) => Promise<LoadedChannel | undefined>;
  /** `notificationId|channelId` pairs delivered before (the dedup key). */
  delivered: Set<string>;
  /** History rows of this batch, written together. */
  records: AttemptRecord[];
}

async function deliverOne(ctx: BatchContext, message: Message<DeliveryMessage>): Promise<Outcome> {
  const { env, db } = ctx;
  const m = message.body;
  // The dedup key: a redelivery after a lost ack finds the success and does not post twice.
  if (ctx.delivered.has(`${m.notificationId}|${m.channelId}`)) return { ack: true };
  const record = {
    notificationId: m.notificationId,
    channelId: m.channelId,
    receiverId: m.receiverId,
    receiverName: m.receiverName,
    owner: m.owner,
    alerts: m.payload.alerts.length,
    attempts: message.attempts,
  };
  const loaded = await ctx.channelOf(m.channelId);
  if (!loaded) {
    ctx.records.push({
      ...record,
      channelName: '(deleted)',
      status: 'failed',
      latencyMs: null,
      error: 'channel deleted',
    });
    return { ack: true };
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
    ctx.records.push({ ...base, status: 'delivered', error: null });
    return { ack: true };
  }
  if ('retryAfterMs' in result) {
    // Over a rate limit nothing was tried: a fresh message later, so waiting never spends
    // the retries that lead to the dead-letter queue (and the history keeps its attempts).
    ctx.records.push({ ...base, latencyMs: null, status: 'retrying', error: result.error });
    await env.NOTIFICATIONS.send(
      { ...m, deferrals: (m.deferrals ?? 0) + 1 },
      { delaySeconds: deferSeconds(result.retryAfterMs), contentType: 'json' },
    );
    return { ack: true };
  }
  if (result.permanent) {
    // Retrying cannot help (a refused destination, bad credentials, an unknown robot or
    // chat, a payload the provider refuses): failed now, not after ten tries.
    ctx.records.push({ ...base, status: 'failed', error: permanentError(result.error) });
    return { ack: true };
  }
  const last = message.attempts > NOTIFY_MAX_RETRIES;
  ctx.records.push({
    ...base,
    status: last ? 'failed' : 'retrying',
    error: result.error.slice(0, 1000),
  });
  // On the last attempt retry() hands the message to the dead-letter queue.
  return { ack: false, delaySeconds: backoffSeconds(message.attempts, retryBase(env)) };
}

/** Writes the batch's history in one round trip; row by row if that fails, so one bad row costs only itself. */
async function writeHistory(db: Database, records: AttemptRecord[]): Promise<void> {
  try {
    await recordAttempts(db, records);
  } catch {
    await Promise.all(
      records.map((r) =>
        recordAttempt(db, r).catch((err: unknown) =>
          console.error(
            JSON.stringify({
              level: 'error',
              msg: 'delivery history write failed',
              error: String(err),
            }),
          ),
        ),
      ),
    );
  }
}

/**
 * The `notifications` queue consumer: each message is acked or retried on
 * its own (never the whole batch), with exponential backoff. D1 work is
 * per batch, not per message: one dedup lookup before sending, one history
 * write after; acks and retries are settled once the history is written, so
 * a delivered message is never retried (a retry would post it twice).
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
  const failed = (message: Message<DeliveryMessage>): Retry => ({
    ack: false,
    delaySeconds: backoffSeconds(message.attempts, retryBase(env)),
  });
  let delivered: Set<string>;
  try {
    delivered = await deliveredPairs(
      db,
      batch.messages.map((m) => m.body),
    );
  } catch (err) {
    // Without the dedup rows nothing may be sent: retry the batch's messages later.
    console.error(
      JSON.stringify({ level: 'error', msg: 'dedup lookup failed', error: String(err) }),
    );
    for (const message of batch.messages)
      message.retry({ delaySeconds: failed(message).delaySeconds });
    return;
  }
  const ctx: BatchContext = { env, db, channelOf, delivered, records: [] };
  const outcomes = await boundedMap(batch.messages, DELIVERY_CONCURRENCY, async (message) => {
    try {
      return await deliverOne(ctx, message);
    } catch (err) {
      console.error(
        JSON.stringify({
          level: 'error',
          msg: 'notification delivery failed',
          error: String(err),
        }),
      );
      return failed(message);
    }
  });
  await writeHistory(db, ctx.records);
  batch.messages.forEach((message, i) => {
    const outcome = outcomes[i] ?? failed(message);
    if (outcome.ack) message.ack();
    else message.retry({ delaySeconds: outcome.delaySeconds });
  });
}
