import { z } from '@hono/zod-openapi';
import type { ChannelType } from '../../db/schema/notification-channels';
import { normalizeHost } from '../net/host';
import { mailProviders } from './targets';
import { languages } from './templates/languages';

const url = z.url({ protocol: /^https?$/ }).max(2048);

/** One bare host (name, IPv4 or IPv6, brackets optional): no port, user, path or escapes. */
const hostField = z
  .string()
  .min(1)
  .max(253)
  .refine((host) => normalizeHost(host) !== undefined, 'a host name or IP address, nothing more');

/**
 * Settings every channel type takes: how its messages are written
 * (language, `{{ placeholder }}` templates for the title and each alert's
 * line, cutting or splitting what is too long) and how fast it may be sent
 * to (a channel-wide cap on top of the provider's own, e.g. DingTalk's 20/min).
 */
const common = {
  language: z.enum(languages).optional(),
  titleTemplate: z.string().min(1).max(1000).optional(),
  textTemplate: z.string().min(1).max(2000).optional(),
  overflow: z.enum(['truncate', 'split']).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(6000).optional(),
};

const slackFormat = z.enum(['text', 'blocks']).optional();

/**
 * The config each channel type takes (POST /api/v1/notification/channels).
 * Fields listed in `secret` are write-only: sealed with SECRETS_KEY and
 * never returned; the rest are plain settings.
 */
export const channelConfigs = {
  webhook: {
    schema: z.strictObject({
      ...common,
      url,
      format: z.enum(['alertmanager', 'template']).default('alertmanager'),
      bearerToken: z.string().min(1).max(4096).optional(),
      username: z.string().max(256).optional(),
      password: z.string().max(1024).optional(),
    }),
    secret: ['url', 'bearerToken', 'password'],
  },
  slack: {
    // Incoming webhook or bot token (chat.postMessage); either as plain text or Block Kit.
    schema: z.union([
      z.strictObject({ webhookUrl: url, format: slackFormat, ...common }),
      z.strictObject({
        ...common,
        token: z.string().min(1).max(512),
        channel: z.string().min(1).max(256),
        apiUrl: url.optional(),
        format: slackFormat,
      }),
    ]),
    secret: ['webhookUrl', 'token'],
  },
  dingtalk: {
    schema: z.strictObject({
      webhook: url,
      secret: z.string().min(1).max(512).optional(),
      ...common,
    }),
    secret: ['webhook', 'secret'],
  },
  feishu: {
    schema: z.strictObject({
      webhook: url,
      secret: z.string().min(1).max(512).optional(),
      ...common,
    }),
    secret: ['webhook', 'secret'],
  },
  wecom: {
    // A group bot (webhook), or an app: gettoken with corpId + secret, then message/send.
    schema: z.union([
      z.strictObject({ webhook: url, ...common }),
      z.strictObject({
        ...common,
        corpId: z.string().min(1).max(64),
        agentId: z.number().int().min(1),
        secret: z.string().min(1).max(512),
        toUser: z.string().min(1).max(1024).optional(),
        toParty: z.string().min(1).max(1024).optional(),
        toTag: z.string().min(1).max(1024).optional(),
        apiUrl: url.optional(),
      }),
    ]),
    secret: ['webhook', 'secret'],
  },
  discord: {
    schema: z.strictObject({ webhookUrl: url, ...common }),
    secret: ['webhookUrl'],
  },
  telegram: {
    schema: z.strictObject({
      ...common,
      botToken: z.string().min(1).max(256),
      chatId: z.string().min(1).max(64),
      apiUrl: url.optional(),
    }),
    secret: ['botToken'],
  },
  email: {
    // SMTP through Workers TCP sockets, or an HTTP mail API in one provider's shape.
    schema: z.union([
      z
        .strictObject({
          ...common,
          smtpHost: hostField,
          smtpPort: z.number().int().min(1).max(65535).default(587),
          /** implicit: TLS from the first byte (465); starttls (587); none. Default: by port. */
          tls: z.enum(['implicit', 'starttls', 'none']).optional(),
          /** The older switch: false is `tls: "none"`. */
          startTls: z.boolean().optional(),
          /** Bounds every step (connect, TLS, each reply) alike; default 10 s / 10 s / 30 s. */
          timeoutSeconds: z.number().int().min(1).max(60).optional(),
          from: z.email(),
          to: z.array(z.email()).min(1).max(50),
          username: z.string().max(256).optional(),
          password: z.string().max(1024).optional(),
        })
        .refine((c) => c.tls === undefined || c.startTls === undefined, {
          message: 'give tls or the older startTls, not both',
          path: ['startTls'],
        }),
      z
        .strictObject({
          ...common,
          provider: z.enum(mailProviders).default('resend'),
          /** The endpoint to POST to; default: the provider's (Mailgun's needs `domain`). */
          apiUrl: url.optional(),
          apiToken: z.string().min(1).max(4096),
          /** Mailgun's sending domain (the endpoint is /v3/<domain>/messages). */
          domain: hostField.optional(),
          from: z.email(),
          to: z.array(z.email()).min(1).max(50),
        })
        .refine((c) => c.provider !== 'mailgun' || c.apiUrl !== undefined || c.domain, {
          message: 'Mailgun needs its sending domain (or a full apiUrl)',
          path: ['domain'],
        }),
    ]),
    secret: ['password', 'apiToken'],
  },
} as const satisfies Record<ChannelType, { schema: z.ZodType; secret: readonly string[] }>;

export type ChannelConfig = Record<string, unknown>;

/** Splits a validated config into plain settings and write-only secrets. */
export function splitConfig(
  type: ChannelType,
  config: ChannelConfig,
): { settings: ChannelConfig; secrets: ChannelConfig } {
  const secretKeys: readonly string[] = channelConfigs[type].secret;
  const settings: ChannelConfig = {};
  const secrets: ChannelConfig = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined) continue;
    (secretKeys.includes(key) ? secrets : settings)[key] = value;
  }
  return { settings, secrets };
}
