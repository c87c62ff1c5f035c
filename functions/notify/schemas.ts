import { z } from '@hono/zod-openapi';
import { channelTypes } from '../../db/schema/notification-channels';
import { isValidPattern } from '../alerting/labels';
import { dnsLabel } from '../iam/names';

const placement = {
  workspace: dnsLabel
    .optional()
    .openapi({ description: 'Owning workspace (its admins manage it).' }),
  cluster: dnsLabel.optional().openapi({ description: 'Owning cluster (its admins manage it).' }),
};

export const createChannelBody = z
  .strictObject({
    name: dnsLabel,
    type: z.enum(channelTypes),
    config: z.record(z.string(), z.unknown()),
    ...placement,
  })
  .openapi('CreateNotificationChannel');

export const updateChannelBody = z
  .strictObject({ config: z.record(z.string(), z.unknown()) })
  .openapi('UpdateNotificationChannel');

export const channelView = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(channelTypes),
    config: z.record(z.string(), z.unknown()),
    secretFields: z
      .array(z.string())
      .openapi({ description: 'Write-only fields that are set (never returned).' }),
    owner: z.string(),
    createdAt: z.string(),
  })
  .openapi('NotificationChannel');

export const labelMatcher = z
  .strictObject({
    name: z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name'),
    value: z.string().max(1024),
    op: z.enum(['=', '!=', '=~', '!~']),
  })
  .refine((m) => m.op === '=' || m.op === '!=' || isValidPattern(m.value), {
    message: 'invalid regular expression',
    path: ['value'],
  });

export const createReceiverBody = z
  .strictObject({
    name: dnsLabel,
    channels: z.array(dnsLabel).min(1).max(20),
    matchers: z.array(labelMatcher).max(32).optional(),
    groupBy: z.array(z.string().max(128)).max(16).optional(),
    groupWaitSeconds: z.number().int().min(0).max(3600).optional(),
    groupIntervalSeconds: z.number().int().min(1).max(86_400).optional(),
    repeatIntervalSeconds: z
      .number()
      .int()
      .min(60)
      .max(7 * 86_400)
      .optional(),
    sendResolved: z.boolean().optional(),
    ...placement,
  })
  .openapi('CreateNotificationReceiver');

export const receiverView = z
  .object({
    id: z.string(),
    name: z.string(),
    channels: z.array(z.string()),
    matchers: z.array(z.object({ name: z.string(), value: z.string(), op: z.string() })),
    groupBy: z.array(z.string()),
    groupWaitSeconds: z.number(),
    groupIntervalSeconds: z.number(),
    repeatIntervalSeconds: z.number(),
    sendResolved: z.boolean(),
    owner: z.string(),
    createdAt: z.string(),
  })
  .openapi('NotificationReceiver');

export const historyItem = z
  .object({
    notificationId: z.string(),
    channel: z.string(),
    receiver: z.string(),
    status: z.enum(['delivered', 'retrying', 'failed']),
    attempts: z.number(),
    alerts: z.number(),
    time: z.string(),
    latencyMs: z.number().optional(),
    error: z.string().optional(),
    /** Failed for good after this attempt (bad credentials, unknown robot or chat, refused payload): not retried. */
    permanent: z.boolean().optional(),
  })
  .openapi('NotificationDelivery');

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(512).optional(),
});

export const idParam = z.object({ id: z.string().max(64) });
