import { DELIVERY_LABELS, type KubeObject } from '../../protocol/delivery';
import { type Backoff, createBackoff } from '../backoff';
import type { InformerEvent } from '../informers';
import type { Logger } from '../log';
import type { AppRecord, DriftState } from './app-record';
import type { DeliveryApi } from './delivery-api';
import { hasDrifted } from './drift';
import type { LiveSources } from './live-sources';
import { refKey } from './objects';

export interface DriftRepairOptions {
  api: DeliveryApi;
  log: Logger;
  /** First wait before putting a drifted object back again (default 1 s, doubling to 20 s). */
  backoff?: () => Backoff;
}

/**
 * Puts delivered objects back when they drift from what was applied (or
 * are deleted): the first correction at once, one that keeps coming back
 * after a growing pause, so a fight with another controller never runs hot.
 */
export class DriftRepair {
  readonly #options: DriftRepairOptions;
  readonly #drift = new Map<string, DriftState>();
  #stopped = false;

  constructor(options: DriftRepairOptions) {
    this.#options = options;
  }

  /** A delivered object of an applied app changed or went away: put it back if it drifted. */
  onLive(event: InformerEvent<KubeObject>, record: AppRecord, sources: LiveSources): void {
    if (record.phase !== 'applied' || !record.app) return;
    const item = event.type === 'delete' ? event.previous : event.item;
    const namespace = (item.metadata as { namespace?: string }).namespace ?? '';
    const key = refKey({
      apiVersion: item.apiVersion,
      kind: item.kind,
      namespace,
      name: item.metadata.name,
    });
    const desired = record.desired.get(key);
    if (!desired) return;
    if (event.type === 'upsert' && !hasDrifted(desired, event.item)) {
      const drift = this.#drift.get(key);
      if (drift && !drift.timer) this.#drift.delete(key);
      return;
    }
    this.#putBack(record, key, sources);
  }

  stop(): void {
    this.#stopped = true;
    for (const drift of this.#drift.values()) if (drift.timer) clearTimeout(drift.timer);
  }

  /** Re-applies one drifted object (same patch), with a growing pause if it keeps drifting. */
  #putBack(record: AppRecord, key: string, sources: LiveSources): void {
    let drift = this.#drift.get(key);
    if (!drift) {
      drift = {
        corrections: 0,
        backoff: (
          this.#options.backoff ?? (() => createBackoff({ initialMs: 1000, maxMs: 20_000 }))
        )(),
      };
      this.#drift.set(key, drift);
    }
    if (drift.timer) return;
    const state = drift;
    // The first correction is immediate; one that keeps coming back waits longer each time.
    const wait = state.corrections++ === 0 ? 0 : state.backoff.next();
    state.timer = setTimeout(() => {
      void (async () => {
        const app = record.app;
        const obj = record.desired.get(key);
        if (this.#stopped || !app || !obj || record.phase !== 'applied' || record.running) {
          state.timer = undefined;
          return;
        }
        const { live } = sources.liveOf(obj, record.appId);
        if (live && !hasDrifted(obj, live)) {
          state.timer = undefined;
          return;
        }
        const result = await this.#options.api.apply(obj, app.identity).catch((error: unknown) => ({
          ok: false as const,
          refused: false as const,
          status: 0,
          message: error instanceof Error ? error.message : String(error),
        }));
        state.timer = undefined;
        this.#options.log.info('drift corrected', {
          appId: app.appId,
          object: key,
          ok: result.ok,
          ...(result.ok ? {} : { error: result.message }),
        });
        if (!result.ok) this.#putBack(record, key, sources);
      })();
    }, wait);
    state.timer.unref?.();
  }
}

/** The app a delivered object belongs to, by its label. */
export const appIdOf = (item: KubeObject): string =>
  (item.metadata as { labels?: Record<string, string> }).labels?.[DELIVERY_LABELS.appId] ?? '';
