import type { WebhookPayload } from '../../alerting/route';
import type { ChannelConfig } from '../channel-configs';
import type { Refusal } from './provider-errors';

/** What a sender needs: the channel's full config (settings and decrypted secrets) and the notification. */
export interface SendInput {
  config: ChannelConfig;
  payload: WebhookPayload;
  notificationId: string;
  now: number;
}

/** An HTTP request to make, and how to tell from the answer that the channel took it. */
export interface OutboundRequest {
  url: string;
  init: RequestInit;
  /**
   * Channels that answer 200 with an error code in the body (DingTalk,
   * WeCom, Feishu, Slack API, Telegram, Postmark): the refusal, if any, and
   * whether it is permanent.
   */
  accepted?: (body: unknown) => Refusal | undefined;
}

export const str = (config: ChannelConfig, key: string): string => {
  const value = config[key];
  return typeof value === 'string' ? value : '';
};

export const postJson = (
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): OutboundRequest => ({
  url,
  init: {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  },
});
