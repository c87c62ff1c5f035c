import type { DeliveryAppStatus, DeliveryStatusFrame } from '../../protocol/delivery';
import type { AppRecord } from './app-record';

/** Apps per `delivery-status` frame. */
const STATUS_BATCH = 200;

export interface StatusReportOptions {
  /** Every app the leader knows of, now. */
  records(): Iterable<AppRecord>;
  statusOf(record: AppRecord): DeliveryAppStatus;
  /** Sends a frame; false when disconnected (everything is sent again after the next hello). */
  send(frame: DeliveryStatusFrame): boolean;
  /** An app confirmed `deleted` to the edge: nothing more to keep of it. */
  forget(record: AppRecord): void;
  /** Coalesces status changes into one frame (default 200 ms). */
  debounceMs?: number;
}

/**
 * `delivery-status` frames: the apps whose status changed since it was
 * last sent, coalesced over a short debounce, at most STATUS_BATCH apps a
 * frame (a fleet-wide change never makes one huge frame).
 */
export class StatusReport {
  readonly #options: StatusReportOptions;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: StatusReportOptions) {
    this.#options = options;
  }

  /** A report after the debounce, or after `delayMs` (0: one pending is brought forward). */
  schedule(delayMs = this.#options.debounceMs ?? 200): void {
    if (this.#stopped) return;
    if (this.#timer) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#report();
    }, delayMs);
    this.#timer.unref?.();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
  }

  #report(): void {
    const changed: { record: AppRecord; status: DeliveryAppStatus; text: string }[] = [];
    for (const record of this.#options.records()) {
      const status = this.#options.statusOf(record);
      const text = JSON.stringify(status);
      if (text !== record.lastSent) changed.push({ record, status, text });
    }
    for (let i = 0; i < changed.length; i += STATUS_BATCH) {
      const batch = changed.slice(i, i + STATUS_BATCH);
      const sent = this.#options.send({
        type: 'delivery-status',
        apps: batch.map((c) => c.status),
      });
      if (!sent) return; // resent in full after the next hello
      for (const { record, text } of batch) {
        record.lastSent = text;
        if (record.phase === 'deleted') this.#options.forget(record);
      }
    }
  }
}
