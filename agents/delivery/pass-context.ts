import type { Logger } from '../log';
import { type AppRecord, truncate } from './app-record';
import type { DeliveryApi } from './delivery-api';
import type { LiveSources } from './live-sources';
import type { ResolvedResource } from './resources';

/** What an apply or delete pass works with: the cluster, the watches, the controller's hooks. */
export interface PassContext {
  api: DeliveryApi;
  resolve(apiVersion: string, kind: string): Promise<ResolvedResource>;
  log: Logger;
  sources: LiveSources;
  stopped(): boolean;
  /** A state change to report: debounced, or after `delayMs` (0: now). */
  scheduleReport(delayMs?: number): void;
  /** Runs the record's pending work again (after a wait). */
  rerun(record: AppRecord): void;
}

/** The app cannot be delivered as it is (the cluster refused it): `failed` until it changes. */
export function fail(ctx: PassContext, record: AppRecord, message: string): void {
  record.phase = 'failed';
  record.message = truncate(message, 2048);
  ctx.log.info('delivery failed', { appId: record.appId, message: record.message });
}
