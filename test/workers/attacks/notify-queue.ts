import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import type { DeliveryMessage } from '../../../functions/alerting/route';
import worker from '../../../functions/index';
import { api } from '../support/fixture';
import { devEnv } from '../support/notify';

/** Runs the worker's queue handler on one batch of deliveries; returns which were acked or retried. */
export async function consume(bodies: DeliveryMessage[], workerEnv: Cloudflare.Env = devEnv()) {
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, workerEnv, ctx);
  return getQueueResult(batch, ctx);
}

export interface HistoryItem {
  notificationId: string;
  status: string;
  attempts: number;
  error?: string;
}

/** The delivery history row of one notification, as `headers` sees it. */
export async function historyOf(
  headers: Record<string, string>,
  notificationId: string,
): Promise<HistoryItem | undefined> {
  const res = await api('GET', '/api/v1/notification/history?limit=200', headers);
  return (res.body as { items: HistoryItem[] }).items.find(
    (h) => h.notificationId === notificationId,
  );
}
