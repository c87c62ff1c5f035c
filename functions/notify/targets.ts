import type { ChannelType } from '../../db/schema/notification-channels';
import { normalizeHost } from '../net/host';
import type { ChannelConfig } from './channel-configs';

/** Where the API channels post when `apiUrl` is not set. */
export const defaultApiUrls = {
  slack: 'https://slack.com/api',
  telegram: 'https://api.telegram.org',
  wecom: 'https://qyapi.weixin.qq.com',
} as const;

/** The HTTP mail APIs an email channel can speak, each with its own request shape (senders/mail-api.ts). */
export const mailProviders = ['resend', 'sendgrid', 'mailgun', 'postmark'] as const;
export type MailProvider = (typeof mailProviders)[number];

/** A mail channel's provider; configs stored before there was a choice spoke Resend's shape. */
export const mailProviderOf = (config: ChannelConfig): MailProvider =>
  mailProviders.find((p) => p === config.provider) ?? 'resend';

/** The endpoint a mail API channel posts to when it names no `apiUrl` (Mailgun's includes the sending domain). */
export function defaultMailApiUrl(config: ChannelConfig): string | undefined {
  switch (mailProviderOf(config)) {
    case 'resend':
      return 'https://api.resend.com/emails';
    case 'sendgrid':
      return 'https://api.sendgrid.com/v3/mail/send';
    case 'postmark':
      return 'https://api.postmarkapp.com/email';
    case 'mailgun':
      return typeof config.domain === 'string'
        ? `https://api.mailgun.net/v3/${encodeURIComponent(config.domain)}/messages`
        : undefined;
  }
}

/** Config fields holding a URL the edge calls. */
const urlFields = ['url', 'webhookUrl', 'webhook', 'apiUrl'] as const;

/** One place a channel sends to. */
export interface ChannelTarget {
  /** The config field that names it (`apiUrl` also for a default API host). */
  field: string;
  /** A URL, or `smtp://host:port` for SMTP. */
  target: string;
  /** The host to judge (as configured; the classifier normalizes it). */
  host: string;
  /** The same destination spelled the same way: what a secret is bound to. */
  identity: string;
}

function urlTarget(field: string, target: string): ChannelTarget {
  let host = '';
  let identity = target;
  try {
    const url = new URL(target);
    host = url.hostname;
    identity = url.href;
  } catch {
    // not a URL: the classifier refuses the empty host
  }
  return { field, target, host, identity };
}

/** The API base a channel in API mode calls when it names none. */
function defaultApiUrl(type: ChannelType, config: ChannelConfig): string | undefined {
  if (type === 'telegram') return defaultApiUrls.telegram;
  if (type === 'slack' && typeof config.token === 'string') return defaultApiUrls.slack;
  if (type === 'wecom' && typeof config.corpId === 'string') return defaultApiUrls.wecom;
  if (type === 'email' && typeof config.smtpHost !== 'string') return defaultMailApiUrl(config);
  return undefined;
}

/** Every destination a channel config makes the edge call, defaults included. */
export function channelTargets(type: ChannelType, config: ChannelConfig): ChannelTarget[] {
  const targets: ChannelTarget[] = [];
  for (const field of urlFields) {
    const value = config[field];
    if (typeof value === 'string') targets.push(urlTarget(field, value));
  }
  const fallback = typeof config.apiUrl === 'string' ? undefined : defaultApiUrl(type, config);
  if (fallback) targets.push(urlTarget('apiUrl', fallback));
  if (type === 'email' && typeof config.smtpHost === 'string') {
    const port = typeof config.smtpPort === 'number' ? config.smtpPort : 587;
    const host = config.smtpHost;
    const canonical = normalizeHost(host) ?? host;
    targets.push({
      field: 'smtpHost',
      target: `smtp://${host}:${port}`,
      host,
      identity: `smtp://${canonical}:${port}`,
    });
  }
  return targets;
}
