import {
  createExecutionContext,
  createMessageBatch,
  getQueueResult,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect, inject } from 'vitest';
import type {
  DeliveryMessage,
  WebhookAlert,
  WebhookPayload,
} from '../../../functions/alerting/route';
import worker from '../../../functions/index';
import type { SinkRecord } from './notify-sink-global-setup';

/** The worker's env with private webhook targets allowed (the loopback sink), as `npm run dev` has it. */
export const devEnv = () => ({ ...env, ALLOW_PRIVATE_WEBHOOKS: 'true' });

/** A JSON API call against the worker with `workerEnv` (default: private targets allowed). */
export async function apiWith(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
  workerEnv: Cloudflare.Env = devEnv(),
): Promise<{ status: number; body: unknown }> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(
    new Request(`https://edge.test${path}`, {
      method,
      headers,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    }),
    workerEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
}

export const sinkUrl = (path: string) => `${inject('notifySink')}${path}`;

/** A sink path segment that makes it answer `status` with `body` as JSON (a provider's refusal). */
export const answerSegment = (status: number, body: unknown) =>
  `/answer/${status}/${btoa(JSON.stringify(body)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;

/** What the loopback sink received under `prefix`. */
export async function sinkRecords(prefix: string): Promise<SinkRecord[]> {
  const res = await fetch(`${inject('notifySink')}/__records?prefix=${encodeURIComponent(prefix)}`);
  return (await res.json()) as SinkRecord[];
}

/** A unique path prefix per test so records never mix. */
let seq = 0;
export const uniquePrefix = (name: string) => `/${name}-${Date.now().toString(36)}-${seq++}`;

/**
 * Creates notification channels through the API as `headers()` (read at
 * each call: fixtures are seeded in beforeAll), named
 * `${namePrefix}${type}-${n}` with n counting per maker so every test
 * file's names stay unique and stable.
 */
export function channelMaker(headers: () => Record<string, string>, namePrefix = '') {
  let seq = 0;
  const create = (type: string, config: Record<string, unknown>) =>
    apiWith('POST', '/api/v1/notification/channels', headers(), {
      name: `${namePrefix}${type}-${seq++}`,
      type,
      config,
    });
  /** Creates one and returns its id; the test fails unless the API answers 201. */
  const channel = async (type: string, config: Record<string, unknown>): Promise<string> => {
    const res = await create(type, config);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return (res.body as { id: string }).id;
  };
  return { create, channel };
}

/** A queue message delivering `payload` to one channel for the platform receiver `ops`. */
export const deliveryMessage = (
  channelId: string,
  payload: WebhookPayload,
  overrides: Partial<DeliveryMessage> = {},
): DeliveryMessage => ({
  notificationId: crypto.randomUUID(),
  channelId,
  receiverId: 'r-ops',
  receiverName: 'ops',
  owner: 'platform',
  createdAt: Date.now(),
  payload,
  ...overrides,
});

/** A firing HighCPU alert of cluster east as Alertmanager sends it; `overrides` replace fields. */
export const firingAlert = (overrides: Partial<WebhookAlert> = {}): WebhookAlert => ({
  status: 'firing',
  labels: { alertname: 'HighCPU', cluster: 'east' },
  annotations: { summary: 'CPU above 90%' },
  startsAt: '2026-11-26T10:00:00.000Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: '',
  fingerprint: '0123456789abcdef',
  ...overrides,
});

/** An Alertmanager v4 webhook payload of `alerts` for the receiver `ops`; `overrides` replace fields. */
export const webhookPayload = (
  alerts: WebhookAlert[],
  overrides: Partial<WebhookPayload> = {},
): WebhookPayload => ({
  version: '4',
  groupKey: 'ops/{}',
  truncatedAlerts: 0,
  status: 'firing',
  receiver: 'ops',
  groupLabels: { alertname: 'HighCPU' },
  commonLabels: { alertname: 'HighCPU', cluster: 'east' },
  commonAnnotations: {},
  externalURL: '',
  alerts,
  ...overrides,
});

/** Runs the worker's queue handler on one batch of `bodies` (each at `attempts`) and returns the outcome. */
export async function runConsumer(
  bodies: DeliveryMessage[],
  attempts = 1,
  workerEnv: Cloudflare.Env = devEnv(),
) {
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, workerEnv, ctx);
  return getQueueResult(batch, ctx);
}

/** One row of GET /api/v1/notification/history. */
export interface HistoryRow {
  notificationId: string;
  channel: string;
  status: string;
  attempts: number;
  error?: string;
  permanent?: boolean;
}

/** The history row of `notificationId`, as `headers` sees it. */
export async function historyRow(
  headers: Record<string, string>,
  notificationId: string,
): Promise<HistoryRow | undefined> {
  const res = await apiWith('GET', '/api/v1/notification/history?limit=200', headers);
  return (res.body as { items: HistoryRow[] }).items.find(
    (h) => h.notificationId === notificationId,
  );
}
