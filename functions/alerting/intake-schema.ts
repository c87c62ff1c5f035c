import { z } from '@hono/zod-openapi';
import type { Labels } from './labels';

/** Alertmanager's resolve_timeout: an alert sent without endsAt resolves this long after its last update. */
export const RESOLVE_TIMEOUT_MS = 5 * 60_000;
export const MAX_ALERTS_PER_POST = 10_000;

const labelName = z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a Prometheus label name');
const labelSet = z.record(labelName, z.string().max(4096));
// Go's zero time (0001-01-01T00:00:00Z) means "not set" in Alertmanager payloads.
const time = z.iso
  .datetime({ offset: true })
  .optional()
  .transform((v) => (v === undefined || v.startsWith('0001-01-01') ? undefined : Date.parse(v)));

/**
 * One alert as Prometheus posts it (Alertmanager API v2 PostableAlert) or as
 * it appears in a webhook v4 payload. Not strict: senders add fields
 * (status, fingerprint) that Alertmanager itself ignores on intake.
 */
const postableAlert = z.object({
  labels: labelSet.refine((l) => Object.keys(l).length > 0, 'an alert needs at least one label'),
  annotations: labelSet.optional(),
  startsAt: time,
  endsAt: time,
  generatorURL: z.string().max(2048).optional(),
});

const alertList = z.array(postableAlert).max(MAX_ALERTS_PER_POST);

/** Alertmanager webhook payload v4, as an in-cluster Alertmanager's webhook receiver sends it. */
const webhookV4 = z.object({
  version: z.literal('4'),
  alerts: alertList,
});

export const postAlertsBody = z.union([alertList, webhookV4]).openapi('PostableAlerts', {
  description:
    'An Alertmanager API v2 array of alerts, or an Alertmanager webhook payload (version "4").',
});

export type PostAlertsBody = z.output<typeof postAlertsBody>;

/** An alert as the edge keeps it (times in epoch ms). */
export interface IncomingAlert {
  labels: Labels;
  annotations: Labels;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
}

/** Both payload shapes as one list, with Alertmanager's defaults for missing times. */
export function normalizeAlerts(body: PostAlertsBody, now: number): IncomingAlert[] {
  const alerts = Array.isArray(body) ? body : body.alerts;
  return alerts.map((a) => {
    const startsAt = a.startsAt ?? now;
    return {
      labels: a.labels,
      annotations: a.annotations ?? {},
      startsAt,
      endsAt: a.endsAt ?? Math.max(now, startsAt) + RESOLVE_TIMEOUT_MS,
      generatorURL: a.generatorURL ?? '',
    };
  });
}
