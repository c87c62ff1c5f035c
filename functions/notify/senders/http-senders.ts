import { defaultApiUrls } from '../targets';
import { composeMessage, composeText } from '../templates/compose';
import type { SizeLimit } from '../templates/fit';
import { hmacBase64 } from './hmac';
import {
  dingtalkAnswer,
  feishuAnswer,
  slackAnswer,
  telegramAnswer,
  wecomAnswer,
} from './provider-errors';
import { slackBlocks } from './slack-blocks';
import { type OutboundRequest, postJson, type SendInput, str } from './types';

/** What each channel takes in one message (the text field, after markup). */
export const channelLimits = {
  /** 20,000 bytes for the whole markdown message; room left for the title and JSON. */
  dingtalk: { max: 19_000, unit: 'bytes' },
  wecom: { max: 4096, unit: 'bytes' },
  discord: { max: 2000, unit: 'chars' },
  telegram: { max: 4096, unit: 'chars' },
  slack: { max: 39_000, unit: 'chars' },
  feishu: { max: 30_000, unit: 'bytes' },
} as const satisfies Record<string, SizeLimit>;

/** Generic webhook: the Alertmanager v4 JSON, with an idempotency key receivers can dedup on. */
export function webhookRequest({ config, payload, notificationId }: SendInput): OutboundRequest[] {
  const headers: Record<string, string> = { 'idempotency-key': notificationId };
  const bearer = str(config, 'bearerToken');
  const user = str(config, 'username');
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  else if (user) headers.authorization = `Basic ${btoa(`${user}:${str(config, 'password')}`)}`;
  if (str(config, 'format') !== 'template') return [postJson(str(config, 'url'), payload, headers)];
  const { title, text } = composeText(payload, config);
  return [postJson(str(config, 'url'), { title, text, status: payload.status }, headers)];
}

/**
 * Slack: an incoming webhook, or the Web API's chat.postMessage with a bot
 * token; `format: "blocks"` sends Block Kit (header + sections) with the
 * title as the notification text.
 */
export function slackRequest({ config, payload }: SendInput): OutboundRequest[] {
  const { parts } = composeMessage(payload, config, channelLimits.slack);
  const bodies = parts.map((text) =>
    str(config, 'format') === 'blocks' ? slackBlocks(text) : { text },
  );
  const webhookUrl = str(config, 'webhookUrl');
  if (webhookUrl) return bodies.map((body) => postJson(webhookUrl, body));
  const api = str(config, 'apiUrl') || defaultApiUrls.slack;
  return bodies.map((body) => ({
    ...postJson(
      `${api}/chat.postMessage`,
      { channel: str(config, 'channel'), ...body },
      { authorization: `Bearer ${str(config, 'token')}` },
    ),
    accepted: slackAnswer,
  }));
}

/**
 * DingTalk robot: markdown, at most 20,000 bytes; with a secret, signed as
 * `timestamp` (ms) and `sign` = URL-encoded base64 HMAC-SHA256 of
 * "<timestamp>\n<secret>" keyed by the secret.
 */
export async function dingtalkRequest({
  config,
  payload,
  now,
}: SendInput): Promise<OutboundRequest[]> {
  const url = new URL(str(config, 'webhook'));
  const secret = str(config, 'secret');
  if (secret) {
    const timestamp = String(now);
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('sign', await hmacBase64(secret, `${timestamp}\n${secret}`));
  }
  const { title, parts } = composeMessage(payload, config, channelLimits.dingtalk, {
    title: (t) => `### ${t}`,
    line: (l) => `- ${l}`,
  });
  return parts.map((text) => ({
    ...postJson(url.toString(), { msgtype: 'markdown', markdown: { title, text } }),
    accepted: dingtalkAnswer,
  }));
}

/**
 * Feishu bot: with a secret, `timestamp` (seconds) and `sign` = base64
 * HMAC-SHA256 keyed by "<timestamp>\n<secret>" over an empty message.
 */
export async function feishuRequest({
  config,
  payload,
  now,
}: SendInput): Promise<OutboundRequest[]> {
  const signature: Record<string, string> = {};
  const secret = str(config, 'secret');
  if (secret) {
    const timestamp = String(Math.floor(now / 1000));
    signature.timestamp = timestamp;
    signature.sign = await hmacBase64(`${timestamp}\n${secret}`, '');
  }
  const { parts } = composeMessage(payload, config, channelLimits.feishu);
  return parts.map((text) => ({
    ...postJson(str(config, 'webhook'), { msg_type: 'text', content: { text }, ...signature }),
    accepted: feishuAnswer,
  }));
}

/** WeCom group bot: markdown content of at most 4096 bytes. */
export function wecomRequest({ config, payload }: SendInput): OutboundRequest[] {
  const { parts } = composeMessage(payload, config, channelLimits.wecom);
  return parts.map((content) => ({
    ...postJson(str(config, 'webhook'), { msgtype: 'markdown', markdown: { content } }),
    accepted: wecomAnswer,
  }));
}

/** Discord webhook: `content` of at most 2000 characters. */
export function discordRequest({ config, payload }: SendInput): OutboundRequest[] {
  const { parts } = composeMessage(payload, config, channelLimits.discord);
  return parts.map((content) => postJson(str(config, 'webhookUrl'), { content }));
}

/** Telegram Bot API sendMessage: text of at most 4096 characters. */
export function telegramRequest({ config, payload }: SendInput): OutboundRequest[] {
  const api = str(config, 'apiUrl') || defaultApiUrls.telegram;
  const { parts } = composeMessage(payload, config, channelLimits.telegram);
  return parts.map((text) => ({
    ...postJson(`${api}/bot${str(config, 'botToken')}/sendMessage`, {
      chat_id: str(config, 'chatId'),
      text,
    }),
    accepted: telegramAnswer,
  }));
}
