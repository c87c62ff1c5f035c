import { linesOf, plainText, titleOf, truncateBytes } from '../message-text';
import { hmacBase64 } from './hmac';
import { errcodeZero, type OutboundRequest, okTrue, postJson, type SendInput, str } from './types';

/** Generic webhook: the Alertmanager v4 JSON, with an idempotency key receivers can dedup on. */
export function webhookRequest({ config, payload, notificationId }: SendInput): OutboundRequest {
  const headers: Record<string, string> = { 'idempotency-key': notificationId };
  const bearer = str(config, 'bearerToken');
  const user = str(config, 'username');
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  else if (user) headers.authorization = `Basic ${btoa(`${user}:${str(config, 'password')}`)}`;
  const body =
    str(config, 'format') === 'template'
      ? { title: titleOf(payload), text: linesOf(payload).join('\n'), status: payload.status }
      : payload;
  return postJson(str(config, 'url'), body, headers);
}

export function slackRequest({ config, payload }: SendInput): OutboundRequest {
  const text = plainText(payload, 39_000);
  const webhookUrl = str(config, 'webhookUrl');
  if (webhookUrl) return postJson(webhookUrl, { text });
  const api = str(config, 'apiUrl') || 'https://slack.com/api';
  return {
    ...postJson(
      `${api}/chat.postMessage`,
      { channel: str(config, 'channel'), text },
      {
        authorization: `Bearer ${str(config, 'token')}`,
      },
    ),
    accepted: okTrue,
  };
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
}: SendInput): Promise<OutboundRequest> {
  const url = new URL(str(config, 'webhook'));
  const secret = str(config, 'secret');
  if (secret) {
    const timestamp = String(now);
    url.searchParams.set('timestamp', timestamp);
    url.searchParams.set('sign', await hmacBase64(secret, `${timestamp}\n${secret}`));
  }
  const title = titleOf(payload);
  const text = truncateBytes(
    [`### ${title}`, ...linesOf(payload).map((l) => `- ${l}`)].join('\n'),
    19_000,
  );
  return {
    ...postJson(url.toString(), { msgtype: 'markdown', markdown: { title, text } }),
    accepted: errcodeZero,
  };
}

/**
 * Feishu bot: with a secret, `timestamp` (seconds) and `sign` = base64
 * HMAC-SHA256 keyed by "<timestamp>\n<secret>" over an empty message.
 */
export async function feishuRequest({ config, payload, now }: SendInput): Promise<OutboundRequest> {
  const body: Record<string, unknown> = {
    msg_type: 'text',
    content: { text: plainText(payload, 30_000) },
  };
  const secret = str(config, 'secret');
  if (secret) {
    const timestamp = String(Math.floor(now / 1000));
    body.timestamp = timestamp;
    body.sign = await hmacBase64(`${timestamp}\n${secret}`, '');
  }
  return {
    ...postJson(str(config, 'webhook'), body),
    accepted: (answer) => {
      const b = answer as { code?: unknown; StatusCode?: unknown; msg?: unknown } | null;
      const code = b?.code ?? b?.StatusCode ?? 0;
      return code === 0 ? undefined : `code ${String(code)}: ${String(b?.msg ?? '')}`;
    },
  };
}

/** WeCom group bot: markdown content of at most 4096 bytes. */
export function wecomRequest({ config, payload }: SendInput): OutboundRequest {
  return {
    ...postJson(str(config, 'webhook'), {
      msgtype: 'markdown',
      markdown: { content: plainText(payload, 4096) },
    }),
    accepted: errcodeZero,
  };
}

/** Discord webhook: `content` of at most 2000 characters. */
export function discordRequest({ config, payload }: SendInput): OutboundRequest {
  const text = plainText(payload, 8000);
  return postJson(str(config, 'webhookUrl'), { content: [...text].slice(0, 2000).join('') });
}

/** Telegram Bot API sendMessage: text of at most 4096 characters. */
export function telegramRequest({ config, payload }: SendInput): OutboundRequest {
  const api = str(config, 'apiUrl') || 'https://api.telegram.org';
  const text = [...plainText(payload, 16_000)].slice(0, 4096).join('');
  return {
    ...postJson(`${api}/bot${str(config, 'botToken')}/sendMessage`, {
      chat_id: str(config, 'chatId'),
      text,
    }),
    accepted: okTrue,
  };
}
