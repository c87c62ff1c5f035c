import { z } from 'zod';
import type { ChannelType } from '../../../db/schema/notification-channels';
import { channelTypes } from '../../../db/schema/notification-channels';

/** The config field holding a webhook-style channel's URL: what the form's one URL field fills. */
export const urlFieldOf: Partial<Record<ChannelType, string>> = {
  webhook: 'url',
  slack: 'webhookUrl',
  dingtalk: 'webhook',
  feishu: 'webhook',
  wecom: 'webhook',
  discord: 'webhookUrl',
};

const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v ? v : undefined));

/** A JSON object typed into the form (the settings beyond the URL); empty means none. */
const jsonObject = z
  .string()
  .max(16_384)
  .optional()
  .transform((raw, ctx): Record<string, unknown> => {
    if (!raw?.trim()) return {};
    try {
      const value: unknown = JSON.parse(raw);
      if (value && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object, like {"format": "template"}' });
    return z.NEVER;
  });

/** Names are checked by the API (DNS labels); the form only bounds what it forwards. */
const name = z.string().trim().min(1, 'required').max(63);
const placement = { workspace: optionalText(63), cluster: optionalText(63) };

export const channelForm = z.object({
  name,
  type: z.enum(channelTypes),
  url: optionalText(2048),
  config: jsonObject,
  ...placement,
});

/** The body of POST /api/v1/notification/channels for a channel form. */
export function channelBody(input: z.infer<typeof channelForm>) {
  const urlField = urlFieldOf[input.type];
  const config = { ...input.config, ...(input.url && urlField ? { [urlField]: input.url } : {}) };
  return {
    name: input.name,
    type: input.type,
    config,
    ...(input.workspace ? { workspace: input.workspace } : {}),
    ...(input.cluster ? { cluster: input.cluster } : {}),
  };
}

/** `name=value`, `name!=value`, `name=~regex`, `name!~regex`; values may be double-quoted. */
const matcherPattern =
  /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^,"]*?))\s*$/;

export interface FormMatcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** Comma- or line-separated matchers; each must parse. */
const matcherList = z
  .string()
  .max(4096)
  .optional()
  .transform((raw, ctx): FormMatcher[] => {
    const parts = (raw ?? '')
      .split(/[\n,]/)
      .map((p) => p.trim())
      .filter(Boolean);
    const out: FormMatcher[] = [];
    for (const part of parts) {
      const m = matcherPattern.exec(part);
      if (!m) {
        ctx.addIssue({
          code: 'custom',
          message: `"${part}" is not name=value, name!=value, name=~regex or name!~regex`,
        });
        return z.NEVER;
      }
      out.push({
        name: m[1] ?? '',
        op: (m[2] ?? '=') as FormMatcher['op'],
        value: m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : (m[4] ?? ''),
      });
    }
    return out;
  });

/** A checkbox: present ("on") when ticked, absent when not. */
const checkbox = z
  .string()
  .optional()
  .transform((v) => v !== undefined);

/** Checked channel names: one field per box, so one string or several. */
const channelNames = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
  .pipe(z.array(z.string().max(63)).min(1, 'choose at least one channel').max(20));

export const receiverForm = z.object({
  name,
  channels: channelNames,
  matchers: matcherList,
  sendResolved: checkbox,
  ...placement,
});

/** The body of POST /api/v1/notification/receivers for a receiver form. */
export function receiverBody(input: z.infer<typeof receiverForm>) {
  return {
    name: input.name,
    channels: input.channels,
    matchers: input.matchers,
    sendResolved: input.sendResolved,
    ...(input.workspace ? { workspace: input.workspace } : {}),
    ...(input.cluster ? { cluster: input.cluster } : {}),
  };
}

export const deleteForm = z.object({
  id: z.string().min(1).max(64),
  name: z.string().max(253).default(''),
});
