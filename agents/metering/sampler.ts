import type { MeteringPayload, PodUsage } from '../../functions/metering/samples';
import { sleep } from '../backoff';
import type { Informer } from '../informers';
import { KubeError } from '../kube';
import type { Logger } from '../log';
import type { NamespaceRecord, PodRecord } from '../projections';
import type { OwnerLookup } from './attribution';
import { alignedBoundary, type ChargingMode, windowsBetween } from './charging';
import type { PodUsageSample, UsageSource } from './usage-source';
import { type DepartedPod, type SampleRound, windowPods } from './window-builder';
import type { WindowState } from './window-state';

export interface MeteringSamplerOptions {
  pods: Informer<PodRecord>;
  namespaces: Informer<NamespaceRecord>;
  owners: OwnerLookup;
  pvcBytes: { get(key: string): number | undefined };
  usage: UsageSource;
  /** Told why pod usage cannot be read (metrics API missing or forbidden), undefined once it can. */
  reportUsage?: (reason: string | undefined) => void;
  intervalSeconds: number;
  charging: ChargingMode;
  /** Spools the batch durably (and queues it for sending); resolves once it is on disk. */
  submit: (payload: MeteringPayload) => Promise<void>;
  state: WindowState;
  /** Window end of the newest metering batch still in the spool, if any. */
  spooledWindowEnd?: () => Promise<number | undefined>;
  /** Where the cluster's previous leader stopped metering (the Lease's watermark), if known. */
  clusterWindowEnd?: number;
  /** Called after each round is spooled, with the end of its last window. */
  onMetered?: (windowEnd: number) => void;
  log: Logger;
  /** Resolves once the informers hold the cluster: sampling before that would miss pods. */
  ready: () => Promise<void>;
  /** After a restart, missed windows are filled in only this far back (default 10 min). */
  maxBackfillSeconds?: number;
  /** Pods per batch: a window of more pods is split (default 5,000, ~1.5 MB a frame). */
  maxPodsPerBatch?: number;
  now?: () => number;
}

const MAX_DEPARTED = 100_000;

/** Running pods, without copying 150,000 records into an array first. */
function* runningPods(items: Map<string, PodRecord>): Generator<PodRecord> {
  for (const pod of items.values()) if (pod.phase === 'Running') yield pod;
}

/**
 * The leader's metering loop: at every interval boundary it samples usage,
 * meters the window(s) since the last sample per pod and hands them to the
 * spool. Windows are aligned to interval boundaries (and cut at hours);
 * after a restart it continues from the last window it spooled, so a short
 * outage leaves no gap and re-meters nothing.
 */
export class MeteringSampler {
  private readonly departed = new Map<string, DepartedPod>();
  private readonly stopController = new AbortController();
  private readonly unsubscribe: () => void;
  private readonly now: () => number;
  private previousUsage = new Map<string, PodUsageSample>();
  private previousSampledAt: number | undefined;
  private lastWindowEnd: number | undefined;
  private running: Promise<void> | undefined;
  private metricsApiMissing = false;

  constructor(private readonly options: MeteringSamplerOptions) {
    this.now = options.now ?? (() => Date.now());
    this.unsubscribe = options.pods.on((event) => {
      const before = event.previous;
      if (before?.phase !== 'Running') return;
      if (event.type === 'upsert' && event.item.phase === 'Running') return;
      if (this.departed.size >= MAX_DEPARTED) return;
      this.departed.set(event.key, { record: before, goneAt: Math.floor(this.now() / 1000) });
    });
  }

  start(): void {
    this.running ??= this.loop().catch((error: unknown) =>
      this.options.log.error('metering loop failed', { error: String(error) }),
    );
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    this.unsubscribe();
    await this.running;
  }

  private async loop(): Promise<void> {
    const { intervalSeconds, log } = this.options;
    const signal = this.stopController.signal;
    await this.options.ready();
    if (signal.aborted) return;
    const fromState = await this.options.state.load();
    const fromSpool = await this.options.spooledWindowEnd?.();
    // Whichever replica metered last, everything up to the latest of these is
    // metered (at the edge or in a spool on its way): continue right after it.
    const fromCluster = this.options.clusterWindowEnd;
    const resumeAt = Math.max(fromState ?? 0, fromSpool ?? 0, fromCluster ?? 0) || undefined;
    const maxBackfill = this.options.maxBackfillSeconds ?? 600;
    const nowSeconds = this.now() / 1000;
    if (resumeAt !== undefined && nowSeconds - resumeAt <= maxBackfill) {
      await this.begin(resumeAt);
      log.info('metering resumes after the last spooled window', { windowEnd: resumeAt });
    } else {
      await this.begin(alignedBoundary(nowSeconds, intervalSeconds));
      if (resumeAt !== undefined)
        log.warn('metering state too old to fill in; starting afresh', {
          lastWindowEnd: resumeAt,
          maxBackfillSeconds: maxBackfill,
        });
    }
    while (!signal.aborted) {
      const next = alignedBoundary(this.now() / 1000, intervalSeconds) + intervalSeconds;
      // A little after the boundary so the window's last second is in.
      await sleep(Math.max(0, next * 1000 - this.now()) + 20, signal);
      if (signal.aborted) return;
      try {
        await this.tick(alignedBoundary(this.now() / 1000, intervalSeconds));
      } catch (error) {
        log.warn('metering sample failed; the next one covers this window', {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /**
   * Sets where the next window starts, and takes a first sample so counters
   * (Prometheus) have a base to take deltas from. A failed sample is fine:
   * counters then count from the first window on.
   */
  async begin(lastWindowEnd: number): Promise<void> {
    this.lastWindowEnd = lastWindowEnd;
    try {
      this.previousUsage = await this.sampleUsage();
      this.previousSampledAt = this.now() / 1000;
    } catch (error) {
      this.options.log.warn('first metering sample failed', { error: String(error) });
    }
  }

  /** Samples now and meters everything from the last window end up to `boundary`. */
  async tick(boundary: number): Promise<void> {
    const { intervalSeconds, log } = this.options;
    const from = this.lastWindowEnd ?? boundary;
    if (boundary <= from) return;
    const startedAt = Date.now();
    const usage = await this.sampleUsage();
    const sampledAt = this.now() / 1000;
    const sampleMs = Date.now() - startedAt;
    const maxWindows = Math.ceil((this.options.maxBackfillSeconds ?? 600) / intervalSeconds) + 1;
    const windows = windowsBetween(from, boundary, intervalSeconds, maxWindows);
    if ((windows[0]?.start ?? from) > from)
      log.warn('metering gap too long; oldest windows not metered', {
        from,
        resumedAt: windows[0]?.start,
      });
    const round: SampleRound = {
      sampledAt,
      previousSampledAt: this.previousSampledAt,
      running: { [Symbol.iterator]: () => runningPods(this.options.pods.items) },
      departed: [...this.departed.values()],
      usage,
      previousUsage: this.previousUsage,
      namespaces: this.options.namespaces.items,
      owners: this.options.owners,
      pvcBytes: this.options.pvcBytes,
    };
    const maxPods = this.options.maxPodsPerBatch ?? 5000;
    let pods = 0;
    for (const [index, window] of windows.entries()) {
      const head = {
        windowStart: window.start,
        windowEnd: window.end,
        charging: this.options.charging,
      };
      let chunk: PodUsage[] = [];
      let sent = 0;
      for (const pod of windowPods(round, windows, index, this.options.charging)) {
        chunk.push(pod);
        if (chunk.length < maxPods) continue;
        await this.options.submit({ ...head, pods: chunk });
        sent += chunk.length;
        chunk = [];
      }
      // A window with no pods still goes up (once): the edge then knows it was metered.
      if (chunk.length > 0 || sent === 0) await this.options.submit({ ...head, pods: chunk });
      pods = sent + chunk.length;
    }
    this.lastWindowEnd = boundary;
    await this.options.state.save(boundary);
    this.options.onMetered?.(boundary);
    for (const [key, gone] of this.departed) if (gone.goneAt <= boundary) this.departed.delete(key);
    this.previousUsage = usage;
    this.previousSampledAt = sampledAt;
    log.debug('metered', {
      windows: windows.length,
      pods,
      windowEnd: boundary,
      sampleMs,
      meterMs: Date.now() - startedAt - sampleMs,
    });
  }

  private async sampleUsage(): Promise<Map<string, PodUsageSample>> {
    try {
      const usage = await this.options.usage.sample(this.stopController.signal);
      if (this.metricsApiMissing) this.options.reportUsage?.(undefined);
      this.metricsApiMissing = false;
      return usage;
    } catch (error) {
      // No metrics-server in this cluster, or RBAC refuses it: meter requests (max mode)
      // rather than nothing, and say so.
      if (error instanceof KubeError && (error.status === 404 || error.status === 403)) {
        if (!this.metricsApiMissing)
          this.options.log.warn(
            `${this.options.usage.name} cannot be read; metering requests only`,
            {
              error: error.message,
            },
          );
        this.metricsApiMissing = true;
        const kind = error.status === 404 ? 'not served' : 'forbidden';
        this.options.reportUsage?.(`${kind}: ${error.message}; metering requests only`);
        return new Map();
      }
      throw error;
    }
  }
}
