import type { WebhookPayload } from '../../alerting/route';
import type { ChannelConfig } from '../channel-configs';

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
  /** Channels that answer 200 with an error code in the body (DingTalk, WeCom, Feishu, Slack API, Telegram). */
  accepted?: (body: unknown) => string | undefined;
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

/** `{errcode: 0}`-style answers: DingTalk and WeCom. */
export const errcodeZero = (body: unknown): string | undefined => {
  const b = body as { errcode?: unknown; errmsg?: unknown } | null;
  return b && typeof b === 'object' && b.errcode !== undefined && b.errcode !== 0
    ? `errcode ${String(b.errcode)}: ${String(b.errmsg ?? '')}`
    : undefined;
};

/** `{ok: true}` answers: Slack's Web API and Telegram. */
export const okTrue = (body: unknown): string | undefined => {
  const b = body as { ok?: unknown; error?: unknown; description?: unknown } | null;
  return b && typeof b === 'object' && b.ok === true
    ? undefined
    : `not ok: ${String(b?.error ?? b?.description ?? 'no ok in the answer')}`;
};
