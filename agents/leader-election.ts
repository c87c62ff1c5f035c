import { sleep } from './backoff';
import { type KubeClient, kubeErrorFrom } from './kube';
import type { Logger } from './log';

export interface LeaderElectionOptions {
  client: KubeClient;
  namespace: string;
  /** Lease name (default edgetower-agent). */
  name?: string;
  identity: string;
  log: Logger;
  /** How long a lease holds without renewal (default 15 s, as client-go). */
  leaseDurationMs?: number;
  /** A leader that could not renew for this long steps down (default 10 s). */
  renewDeadlineMs?: number;
  /** Time between attempts (default 2 s). */
  retryPeriodMs?: number;
  /**
   * Annotations this replica writes on the Lease with every renewal (and on
   * release), on top of those already there: what a leader leaves for the
   * next one (agents/metering/lease-window.ts).
   */
  annotations?: () => Record<string, string>;
  /** `lease`: the Lease's annotations as found when this replica took it. */
  onStartedLeading: (lease: { annotations: Record<string, string> }) => void;
  onStoppedLeading: () => void;
  now?: () => number;
}

interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

interface Lease {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
  };
  spec?: LeaseSpec;
}

type Attempt = 'leading' | 'held-by-other' | 'error';

/** Kubernetes MicroTime: RFC 3339 with microseconds. */
const microTime = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/**
 * Lease-based leader election (coordination.k8s.io/v1), following client-go:
 * expiry is judged by when *this* replica last saw the lease change, not by
 * the timestamps in it, so clock skew between nodes does not matter.
 */
export class LeaderElector {
  private leading = false;
  private observedVersion: string | undefined;
  private observedAt = 0;
  private lastRenew = 0;
  /** The Lease's annotations as last read, handed to onStartedLeading. */
  private foundAnnotations: Record<string, string> = {};
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly name: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;

  constructor(private readonly options: LeaderElectionOptions) {
    this.now = options.now ?? Date.now;
    this.name = options.name ?? 'edgetower-agent';
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    this.running ??= this.run();
  }

  /**
   * Stops; a leader releases the lease so another replica takes over at once.
   * `release: false` behaves like a crash (tests), leaving the lease to expire.
   */
  async stop({ release = true }: { release?: boolean } = {}): Promise<void> {
    this.stopController.abort();
    await this.running;
    if (this.leading && release) {
      await this.release().catch((err: unknown) =>
        this.options.log.warn('lease release failed', { error: String(err) }),
      );
    }
    this.setLeading(false);
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${this.options.namespace}/leases`;
  }

  private async run(): Promise<void> {
    const signal = this.stopController.signal;
    while (!signal.aborted) {
      const result = await this.tryAcquireOrRenew().catch((err: unknown) => {
        this.options.log.warn('lease attempt failed', {
          error: err instanceof Error ? err.message : String(err),
        });
        return 'error' as const;
      });
      if (signal.aborted) break;
      if (result === 'leading') {
        this.lastRenew = this.now();
        this.setLeading(true);
      } else if (
        this.leading &&
        (result === 'held-by-other' || this.now() - this.lastRenew > this.renewDeadlineMs)
      ) {
        this.options.log.warn('lost leadership', { reason: result });
        this.setLeading(false);
      }
      // Jitter spreads replicas that started together.
      await sleep(this.retryPeriodMs * (this.leading ? 1 : 1 + Math.random() * 0.2), signal);
    }
  }

  private setLeading(value: boolean): void {
    if (value === this.leading) return;
    this.leading = value;
    this.options.log.info(value ? 'became leader' : 'stepped down', {
      lease: this.name,
      identity: this.options.identity,
    });
    if (value) this.options.onStartedLeading({ annotations: this.foundAnnotations });
    else this.options.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<Attempt> {
    const { client, identity } = this.options;
    const now = this.now();
    const res = await client.request({
      path: `${this.path}/${this.name}`,
      signal: this.stopController.signal,
    });
    if (res.status === 404) {
      await res.text();
      return this.create(now);
    }
    if (res.status !== 200) throw await kubeErrorFrom(res, 'get lease');
    const lease = (await res.json()) as Lease;
    const spec = lease.spec ?? {};
    this.foundAnnotations = lease.metadata.annotations ?? {};
    if (lease.metadata.resourceVersion !== this.observedVersion) {
      this.observedVersion = lease.metadata.resourceVersion;
      this.observedAt = now;
    }
    const holder = spec.holderIdentity ?? '';
    const duration = (spec.leaseDurationSeconds ?? this.leaseDurationMs / 1000) * 1000;
    if (holder && holder !== identity && now - this.observedAt < duration) return 'held-by-other';

    const takingOver = holder !== identity;
    const next: Lease = {
      ...lease,
      metadata: this.annotated(lease.metadata),
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        renewTime: microTime(now),
        ...(takingOver
          ? { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }
          : {}),
      },
    };
    return this.put(next);
  }

  /** Metadata with this replica's annotations merged over the Lease's own. */
  private annotated(metadata: Lease['metadata']): Lease['metadata'] {
    const mine = this.options.annotations?.() ?? {};
    if (Object.keys(mine).length === 0) return metadata;
    return { ...metadata, annotations: { ...metadata.annotations, ...mine } };
  }

  private async create(now: number): Promise<Attempt> {
    this.foundAnnotations = {};
    const lease: Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: this.annotated({ name: this.name, namespace: this.options.namespace }),
      spec: {
        holderIdentity: this.options.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      },
    };
    const res = await this.options.client.request({
      method: 'POST',
      path: this.path,
      body: JSON.stringify(lease),
    });
    if (res.status === 201 || res.status === 200) return this.remember(res);
    if (res.status === 409) {
      await res.text();
      return 'held-by-other'; // another replica created it first
    }
    throw await kubeErrorFrom(res, 'create lease');
  }

  private async put(lease: Lease): Promise<Attempt> {
    const res = await this.options.client.request({
      method: 'PUT',
      path: `${this.path}/${this.name}`,
      body: JSON.stringify(lease),
    });
    if (res.status === 200) return this.remember(res);
    if (res.status === 409) {
      await res.text();
      return 'held-by-other'; // someone wrote in between: re-read next round
    }
    throw await kubeErrorFrom(res, 'update lease');
  }

  private async remember(res: { json(): Promise<unknown> }): Promise<Attempt> {
    const stored = (await res.json()) as Lease;
    this.observedVersion = stored.metadata.resourceVersion;
    this.observedAt = this.now();
    return 'leading';
  }

  /** Like client-go's ReleaseOnCancel: empty holder, so followers need not wait out the lease. */
  private async release(): Promise<void> {
    const res = await this.options.client.request({ path: `${this.path}/${this.name}` });
    if (res.status !== 200) return void (await res.text());
    const lease = (await res.json()) as Lease;
    if (lease.spec?.holderIdentity !== this.options.identity) return;
    const released: Lease = {
      ...lease,
      metadata: this.annotated(lease.metadata),
      spec: {
        ...lease.spec,
        holderIdentity: '',
        leaseDurationSeconds: 1,
        renewTime: microTime(this.now()),
      },
    };
    const put = await this.options.client.request({
      method: 'PUT',
      path: `${this.path}/${this.name}`,
      body: JSON.stringify(released),
    });
    await put.text();
  }
}
