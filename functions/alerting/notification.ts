import { fingerprint } from './labels';
import { jsonBytes } from './queue-batches';
import type { StoredAlert, WebhookAlert, WebhookPayload } from './route';
import type { GroupRow } from './tables';

/** Queue messages are capped at 128 KB: larger groups are truncated, as Alertmanager's max_alerts does. */
const MAX_PAYLOAD_BYTES = 100_000;

const iso = (ms: number) => new Date(ms).toISOString();

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(first ?? {}))
    if (rest.every((m) => m[name] === value)) out[name] = value;
  return out;
}

/**
 * The notification a group sends now: Alertmanager webhook v4, with an id
 * fixed by the group's identity and sequence so a retried flush repeats it.
 */
export async function buildNotification(
  group: GroupRow,
  alerts: StoredAlert[],
  now: number,
): Promise<{ id: string; payload: WebhookPayload }> {
  const groupHash = await fingerprint({ key: group.key, createdAt: String(group.createdAt) });
  const webhookAlerts: WebhookAlert[] = alerts.map((a) => ({
    status: a.endsAt > now ? 'firing' : 'resolved',
    labels: a.labels,
    annotations: a.annotations,
    startsAt: iso(a.startsAt),
    endsAt: a.endsAt > now ? '0001-01-01T00:00:00Z' : iso(a.endsAt),
    generatorURL: a.generatorURL,
    fingerprint: a.fingerprint,
  }));
  const groupKey = `${group.route.receiverName}/${JSON.stringify(group.groupLabels)}`;
  const payload: WebhookPayload = {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status: webhookAlerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: group.route.receiverName,
    groupLabels: group.groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: group.route.externalURL ?? '',
    alerts: webhookAlerts,
  };
  while (payload.alerts.length > 1 && jsonBytes(payload) > MAX_PAYLOAD_BYTES) {
    const keep = Math.floor(payload.alerts.length / 2);
    payload.truncatedAlerts += payload.alerts.length - keep;
    payload.alerts = payload.alerts.slice(0, keep);
  }
  return { id: `${groupHash}-${group.seq}`, payload };
}
