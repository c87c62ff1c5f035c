import type { Database } from '../../db/client';
import { takeSendSlots } from '../../db/queries/notify-send-slots';
import type { ChannelType } from '../../db/schema/notification-channels';
import type { ChannelConfig } from './channel-configs';

/** DingTalk mutes a robot for 10 minutes once it gets more than 20 messages in a minute. */
export const DINGTALK_PER_MINUTE = 20;
const WINDOW_MS = 60_000;

export interface RateLimit {
  key: string;
  perMinute: number;
}

const encoder = new TextEncoder();

async function hash(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(text)));
  return [...digest.subarray(0, 12)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The limits a channel's sends count against: the provider's own, per
 * target (a DingTalk robot is its URL; two channels on one robot share
 * it), and the channel's `rateLimitPerMinute` when set.
 */
export async function rateLimitsOf(
  type: ChannelType,
  channelId: string,
  config: ChannelConfig,
): Promise<RateLimit[]> {
  const limits: RateLimit[] = [];
  if (type === 'dingtalk' && typeof config.webhook === 'string')
    limits.push({ key: `dingtalk:${await hash(config.webhook)}`, perMinute: DINGTALK_PER_MINUTE });
  if (typeof config.rateLimitPerMinute === 'number')
    limits.push({ key: `channel:${channelId}`, perMinute: config.rateLimitPerMinute });
  return limits;
}

/**
 * Takes slots for `messages` sends under every limit; returns how long to
 * wait when one of them is used up (undefined: go ahead). Slots taken
 * under an earlier limit stay taken, which only errs on the slow side.
 */
export async function waitForSlots(
  db: Database,
  limits: RateLimit[],
  messages: number,
  now: number,
): Promise<number | undefined> {
  for (const limit of limits) {
    const grant = await takeSendSlots(db, limit.key, messages, limit.perMinute, WINDOW_MS, now);
    if (!grant.granted) return grant.retryAfterMs;
  }
  return undefined;
}
