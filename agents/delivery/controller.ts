import type {
  DeliveryApp,
  DeliveryAppStatus,
  DeliveryDeleteFrame,
  DeliveryIdentity,
  DeliveryStateFrame,
  DeliveryStatusFrame,
  KubeObject,
} from '../../protocol/delivery';
import { type Backoff, createBackoff } from '../backoff';
import type { InformerEvent } from '../informers';
import type { Logger } from '../log';
import { type AppRecord, truncate } from './app-record';
import { applyPass } from './apply-pass';
import { deletePass } from './delete-pass';
import type { DeliveryApi } from './delivery-api';
import { appIdOf, DriftRepair } from './drift-repair';
import { heldApps } from './held-apps';
import { LiveSources, type StartWatch } from './live-sources';
import type { PassContext } from './pass-context';
import type { ResolvedResource } from './resources';
import { statusOf } from './status';
import { StatusReport } from './status-report';

export type { LiveSource, WatchScope } from './live-sources';

export interface DeliveryControllerOptions {
  api: DeliveryApi;
  resolve(apiVersion: string, kind: string): Promise<ResolvedResource>;
  /**
   * Starts watching delivered objects of a kind: cluster-wide with the
   * agent's credentials, or, with `scope`, one app's objects in its
   * namespace as the app's editor (kinds the agent may not read).
   */
  watch: StartWatch;
  /** Sends a frame to the edge; false when disconnected (sent again after the next hello). */
  send(frame: DeliveryStatusFrame | DeliveryStateFrame): boolean;
  log: Logger;
  /** Coalesces status changes into one frame (default 200 ms). */
  debounceMs?: number;
  /** First wait before putting a drifted object back again (default 1 s, doubling to 20 s). */
  driftBackoff?: () => Backoff;
  /** Retry after transient failures (default 1 s .. 30 s). */
  retryBackoff?: () => Backoff;
}

/**
 * The leader's application delivery: takes the edge's frames (apply,
 * delete, and after every hello the `delivery-state` inventory) and runs
 * each app's work one pass at a time — the apply pass (apply-pass.ts), the
 * delete pass (delete-pass.ts) — retrying transient failures with backoff.
 * The watches (live-sources.ts) feed readiness, reported by status-report.ts,
 * and drift repair (drift-repair.ts).
 *
 * It keeps no state of its own beyond the frames of this process's life:
 * what the cluster holds is read from the cluster by label.
 */
export class DeliveryController {
  readonly #options: DeliveryControllerOptions;
  readonly #apps = new Map<string, AppRecord>();
  readonly #sources: LiveSources;
  readonly #drift: DriftRepair;
  readonly #report: StatusReport;
  readonly #pass: PassContext;
  #stopped = false;

  constructor(options: DeliveryControllerOptions) {
    this.#options = options;
    this.#sources = new LiveSources(options.watch, (event) => this.#onLive(event));
    this.#drift = new DriftRepair({
      api: options.api,
      log: options.log,
      ...(options.driftBackoff ? { backoff: options.driftBackoff } : {}),
    });
    this.#report = new StatusReport({
      records: () => this.#apps.values(),
      statusOf: (record) => this.#statusOf(record),
      send: (frame) => options.send(frame),
      forget: (record) => this.#forget(record),
      ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
    });
    this.#pass = {
      api: options.api,
      resolve: (apiVersion, kind) => options.resolve(apiVersion, kind),
      log: options.log,
      sources: this.#sources,
      stopped: () => this.#stopped,
      scheduleReport: (delayMs) => this.#report.schedule(delayMs),
      rerun: (record) => this.#run(record),
    };
  }

  /** The apps as the edge last described them (for a new leader or a test). */
  get apps(): DeliveryApp[] {
    return [...this.#apps.values()].flatMap((r) => (r.app ? [r.app] : []));
  }

  /** `delivery-apply`: new desired state of these apps. */
  apply(apps: readonly DeliveryApp[]): void {
    for (const app of apps) {
      const current = this.#apps.get(app.appId);
      if (current?.app && current.app.generation > app.generation) continue; // stale frame
      // The same generation again (resent after a hello): nothing to redo unless it failed.
      if (
        current?.app?.generation === app.generation &&
        current.phase !== 'failed' &&
        current.phase !== 'deleting' &&
        current.phase !== 'deleted' &&
        JSON.stringify(current.app) === JSON.stringify(app)
      )
        continue;
      const record = current ?? this.#newRecord(app.appId, app.namespace, app.identity);
      // Per-app watches run as the editor: another editor or namespace means new watches.
      if (
        current &&
        (current.namespace !== app.namespace ||
          JSON.stringify(current.identity) !== JSON.stringify(app.identity))
      )
        this.#sources.stopApp(app.appId);
      record.app = app;
      record.phase = 'pending';
      record.namespace = app.namespace;
      record.identity = app.identity;
      record.wasReady = false;
      record.appliedAt = undefined;
      record.message = undefined;
      record.backoff.reset();
      if (record.retry) clearTimeout(record.retry);
      this.#apps.set(app.appId, record);
      this.#run(record);
    }
  }

  /** `delivery-delete`: remove these apps' objects. */
  delete(frame: DeliveryDeleteFrame): void {
    for (const item of frame.apps) {
      const record =
        this.#apps.get(item.appId) ?? this.#newRecord(item.appId, item.namespace, item.identity);
      record.app = undefined;
      record.desired = new Map();
      record.namespace = item.namespace;
      record.identity = item.identity;
      record.phase = 'deleting';
      record.message = undefined;
      record.backoff.reset();
      if (record.retry) clearTimeout(record.retry);
      if (record.deadline) clearTimeout(record.deadline);
      this.#apps.set(item.appId, record);
      this.#run(record);
    }
  }

  /** After every hello: what the cluster holds, then every app's status again. */
  async connected(): Promise<void> {
    for (const record of this.#apps.values()) record.lastSent = undefined;
    try {
      await this.sendState();
    } catch (error) {
      this.#options.log.warn('cannot read the delivered apps for delivery-state', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
    this.#report.schedule(0);
  }

  /** `delivery-state`: every app the cluster holds objects of (held-apps.ts). */
  async sendState(): Promise<boolean> {
    const { api, log } = this.#options;
    const apps = await heldApps(api, log, this.#sources.scanKinds(), this.#apps);
    return this.#options.send({ type: 'delivery-state', apps });
  }

  /** The status of one app now (tests, and the report). */
  status(appId: string): DeliveryAppStatus | undefined {
    const record = this.#apps.get(appId);
    return record && this.#statusOf(record);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#report.stop();
    for (const record of this.#apps.values()) {
      if (record.retry) clearTimeout(record.retry);
      if (record.deadline) clearTimeout(record.deadline);
    }
    this.#drift.stop();
    await this.#sources.stopAll();
  }

  #newRecord(appId: string, namespace: string, identity: DeliveryIdentity): AppRecord {
    return {
      appId,
      namespace,
      identity,
      app: undefined,
      desired: new Map(),
      phase: 'pending',
      wasReady: false,
      backoff: (
        this.#options.retryBackoff ?? (() => createBackoff({ initialMs: 1000, maxMs: 30_000 }))
      )(),
      again: false,
      kinds: new Map(),
    };
  }

  /** Runs the record's pending work, one pass at a time per app. */
  #run(record: AppRecord): void {
    if (this.#stopped) return;
    if (record.running) {
      record.again = true;
      return;
    }
    record.again = false;
    const pass =
      record.phase === 'deleting' ? deletePass(this.#pass, record) : applyPass(this.#pass, record);
    record.running = pass
      .catch((error: unknown) => {
        // Transient (API server unreachable, 5xx): try again with backoff, never hot.
        const wait = record.backoff.next();
        record.message = truncate(error instanceof Error ? error.message : String(error), 2048);
        this.#options.log.warn('delivery pass failed, retrying', {
          appId: record.appId,
          error: record.message,
          retryMs: wait,
        });
        record.retry = setTimeout(() => this.#run(record), wait);
        record.retry.unref?.();
      })
      .finally(() => {
        record.running = undefined;
        this.#report.schedule();
        if (record.again) this.#run(record);
      });
  }

  /** A delivered object changed or went away: report, and put it back if it drifted. */
  #onLive(event: InformerEvent<KubeObject>): void {
    const record = this.#apps.get(appIdOf(event.type === 'delete' ? event.previous : event.item));
    if (!record) return;
    this.#report.schedule();
    this.#drift.onLive(event, record, this.#sources);
  }

  #forget(record: AppRecord): void {
    this.#apps.delete(record.appId);
    this.#sources.stopApp(record.appId);
    if (record.deadline) clearTimeout(record.deadline);
  }

  #statusOf(record: AppRecord): DeliveryAppStatus {
    return statusOf(record, (obj) => this.#sources.liveOf(obj, record.appId));
  }
}
