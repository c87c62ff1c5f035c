import { WORKSPACE_LABEL } from '../../protocol/inventory';
import type { QuotasFrame, WorkspaceQuotaPush } from '../../protocol/quota-frames';
import {
  addAmounts,
  formatAmount,
  isTerminalPhase,
  type PodDemand,
  podAmounts,
  type QuotaResource,
  quotaResources,
  type ResourceAmounts,
} from '../../protocol/quota-resources';
import type { DegradedRegistry } from '../degraded';
import { Informer } from '../informers';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import { projectQuotaPod, type QuotaPod } from './pod-demand';

interface QuotaNamespace {
  name: string;
  workspace?: string;
}

function projectNamespace(raw: unknown): QuotaNamespace | undefined {
  const metadata = (raw as { metadata?: { name?: unknown; labels?: Record<string, unknown> } })
    .metadata;
  if (typeof metadata?.name !== 'string') return undefined;
  const workspace = metadata.labels?.[WORKSPACE_LABEL];
  return typeof workspace === 'string'
    ? { name: metadata.name, workspace }
    : { name: metadata.name };
}

/**
 * Quota held for a pod this replica admitted and its informer has not seen
 * yet, keyed by the pod's UID (the API server sets it before validating
 * admission). Anyone who can reach the webhook can make one up, so it only
 * lasts until the informer confirms the UID or the window ends.
 */
interface Reservation {
  workspace: string;
  amounts: ResourceAmounts;
  at: number;
}

/** The pod an admission review is about, as far as reservations go. */
export interface ReviewedPod {
  /** Empty for `generateName` pods (the name is chosen after admission). */
  name: string;
  /** `object.metadata.uid`: absent, nothing is reserved. */
  uid?: string;
  /** A server-side dry run creates nothing, so it reserves nothing. */
  dryRun?: boolean;
}

/** Reservations kept at most (oldest dropped first): bounds memory under a flood of forged reviews. */
const MAX_RESERVATIONS = 50_000;

export type Decision =
  | { allowed: true }
  | { allowed: false; message: string; resources: QuotaResource[] };

export interface LedgerOptions {
  client: KubeClient;
  log: Logger;
  stallTimeoutMs?: number;
  /** Where unreadable resources are reported. */
  degraded?: DegradedRegistry;
  /** How long an admitted pod counts before the informer must have seen its UID (default 30 s). */
  pendingTtlMs?: number;
  now?: () => number;
}

/**
 * One replica's view of workspace quotas in its cluster: the caps and
 * usage elsewhere pushed by the edge, usage here kept per namespace from its
 * own pod and namespace informers (started only while some quota applies),
 * and the admission decision. Every replica keeps one, so any of them can
 * answer the webhook.
 */
export class QuotaLedger {
  readonly #options: LedgerOptions;
  #quotas = new Map<string, WorkspaceQuotaPush>();
  #revision = -1;
  #pods: Informer<QuotaPod> | undefined;
  #namespaces: Informer<QuotaNamespace> | undefined;
  readonly #byNamespace = new Map<string, ResourceAmounts>();
  /** By pod UID, oldest first (a UID is inserted once, so Map order is admission order). */
  readonly #reservations = new Map<string, Reservation>();
  /** Sum of the live reservations per workspace, kept as they come and go. */
  readonly #reserved = new Map<string, ResourceAmounts>();
  #denied = new Map<string, Set<QuotaResource>>();
  readonly #changeListeners = new Set<() => void>();

  constructor(options: LedgerOptions) {
    this.#options = options;
  }

  get #now(): number {
    return this.#options.now?.() ?? Date.now();
  }

  /** Workspaces with a quota in this cluster, sorted. */
  workspaces(): string[] {
    return [...this.#quotas.keys()].sort();
  }

  /** Called whenever the quota set or usage here changed. */
  onChange(listener: () => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  /**
   * Takes a push from the edge. A push older than the last one (reordered on
   * reconnect) is ignored; `reconnected` accepts any revision, since a reset
   * edge object restarts its count.
   */
  apply(frame: QuotasFrame, reconnected = false): boolean {
    if (!reconnected && frame.revision <= this.#revision) return false;
    this.#revision = frame.revision;
    this.#quotas = new Map(frame.workspaces.map((w) => [w.workspace, w]));
    if (this.#quotas.size > 0) this.#startInformers();
    else void this.#stopInformers();
    this.#changed();
    return true;
  }

  hasSynced(): boolean {
    return (this.#pods?.hasSynced ?? false) && (this.#namespaces?.hasSynced ?? false);
  }

  async waitForSync(): Promise<void> {
    await Promise.all([this.#pods?.waitForSync(), this.#namespaces?.waitForSync()]);
  }

  /** What a workspace's unfinished pods in this cluster ask for. */
  usageHere(workspace: string): ResourceAmounts {
    const total: ResourceAmounts = {};
    for (const ns of this.#namespaces?.items.values() ?? [])
      if (ns.workspace === workspace) addAmounts(total, this.#byNamespace.get(ns.name) ?? {});
    return total;
  }

  /** Resources admission denied per workspace since the last call (the leader reports them). */
  takeDenials(): Map<string, QuotaResource[]> {
    const taken = new Map([...this.#denied].map(([ws, set]) => [ws, [...set].sort()]));
    this.#denied = new Map();
    return taken;
  }

  /** Puts back denials a report could not deliver. */
  restoreDenials(denials: Map<string, QuotaResource[]>): void {
    for (const [workspace, resources] of denials) {
      const set = this.#denied.get(workspace) ?? new Set();
      for (const resource of resources) set.add(resource);
      this.#denied.set(workspace, set);
    }
  }

  /**
   * Whether creating a pod asking for `demand` in `namespace` keeps its
   * workspace within quota; `unspecified` lists, per resource, containers
   * that leave it unset (refused when that resource is capped).
   */
  async decide(
    namespace: string,
    pod: ReviewedPod,
    demand: PodDemand,
    unspecified: Partial<Record<QuotaResource, string[]>> = {},
  ): Promise<Decision> {
    const workspace = await this.#workspaceOf(namespace);
    const quota = workspace === undefined ? undefined : this.#quotas.get(workspace);
    if (!workspace || !quota) return { allowed: true };
    if (!this.hasSynced())
      return {
        allowed: false,
        message: `workspace "${workspace}" quota: usage in this cluster is still being counted; retry shortly`,
        resources: [],
      };
    const unset = quotaResources.filter(
      (r) => quota.hard[r] !== undefined && unspecified[r]?.length,
    );
    if (unset.length > 0)
      return {
        allowed: false,
        resources: unset,
        message: `workspace "${workspace}" has a quota on ${unset.join(', ')}: must specify ${unset
          .map((r) => `${r} for: ${(unspecified[r] ?? []).join(',')}`)
          .join('; ')}`,
      };
    const asked = podAmounts(demand);
    const here = this.usageHere(workspace);
    addAmounts(here, this.#reservedFor(workspace));
    const exceeded: QuotaResource[] = [];
    const parts = { requested: [] as string[], used: [] as string[], limited: [] as string[] };
    for (const resource of quotaResources) {
      const hard = quota.hard[resource];
      if (hard === undefined) continue;
      const used = (here[resource] ?? 0) + (quota.usedElsewhere[resource] ?? 0);
      if (used + asked[resource] <= hard) continue;
      exceeded.push(resource);
      const f = (value: number) => `${resource}=${formatAmount(resource, value)}`;
      parts.requested.push(f(asked[resource]));
      parts.used.push(
        `${f(used)} (here ${formatAmount(resource, here[resource] ?? 0)}, other clusters ${formatAmount(resource, quota.usedElsewhere[resource] ?? 0)})`,
      );
      parts.limited.push(f(hard));
    }
    if (exceeded.length > 0) {
      const denied = this.#denied.get(workspace) ?? new Set();
      for (const resource of exceeded) denied.add(resource);
      this.#denied.set(workspace, denied);
      return {
        allowed: false,
        resources: exceeded,
        message: `exceeded quota of workspace "${workspace}": requested: ${parts.requested.join(',')}, used: ${parts.used.join(',')}, limited: ${parts.limited.join(',')}`,
      };
    }
    this.#reserve(namespace, workspace, pod, asked);
    return { allowed: true };
  }

  /** Live reservations (the bench and tests read it). */
  get reservations(): number {
    return this.#reservations.size;
  }

  async close(): Promise<void> {
    await this.#stopInformers();
  }

  #reservedFor(workspace: string): ResourceAmounts {
    this.#expireReservations();
    return { ...this.#reserved.get(workspace) };
  }

  #reserve(namespace: string, workspace: string, pod: ReviewedPod, amounts: ResourceAmounts): void {
    if (!pod.uid || pod.dryRun) return;
    // Reviewed before (API server retries, or a replay): one UID holds once, from its first review.
    if (this.#reservations.has(pod.uid)) return;
    // A pod of that name exists: this create fails with AlreadyExists, if it is real at all.
    if (pod.name && this.#pods?.items.has(`${namespace}/${pod.name}`)) return;
    this.#expireReservations();
    while (this.#reservations.size >= MAX_RESERVATIONS) {
      const oldest = this.#reservations.keys().next().value;
      if (oldest === undefined) break;
      this.#release(oldest);
    }
    this.#reservations.set(pod.uid, { workspace, amounts, at: this.#now });
    this.#addReserved(workspace, amounts, 1);
  }

  /** Drops reservations whose window ended: their pods never showed up (or never existed). */
  #expireReservations(): void {
    const ttl = this.#options.pendingTtlMs ?? 30_000;
    const now = this.#now;
    for (const [uid, reservation] of this.#reservations) {
      if (now - reservation.at <= ttl) break; // oldest first: the rest are younger
      this.#release(uid);
    }
  }

  #release(uid: string): void {
    const reservation = this.#reservations.get(uid);
    if (!reservation) return;
    this.#reservations.delete(uid);
    this.#addReserved(reservation.workspace, reservation.amounts, -1);
  }

  #addReserved(workspace: string, amounts: ResourceAmounts, sign: 1 | -1): void {
    const total = this.#reserved.get(workspace) ?? {};
    for (const resource of quotaResources)
      total[resource] = (total[resource] ?? 0) + sign * (amounts[resource] ?? 0);
    if (this.#reservations.size === 0) this.#reserved.clear();
    else this.#reserved.set(workspace, total);
  }

  async #workspaceOf(namespace: string): Promise<string | undefined> {
    const known = this.#namespaces?.items.get(namespace);
    if (known) return known.workspace;
    // Created a moment ago and not yet in the informer: ask the API server once.
    try {
      const raw = await this.#options.client.getJson(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}`,
      );
      return projectNamespace(raw)?.workspace;
    } catch {
      return undefined;
    }
  }

  #startInformers(): void {
    if (this.#pods) return;
    const { client, log, stallTimeoutMs, degraded } = this.#options;
    this.#namespaces = new Informer<QuotaNamespace>({
      name: 'quota-namespaces',
      client,
      path: '/api/v1/namespaces',
      report: degraded?.reporter('quota/namespaces', 'namespaces'),
      project: projectNamespace,
      log: log.child({ informer: 'quota-namespaces' }),
      stallTimeoutMs,
    });
    this.#pods = new Informer<QuotaPod>({
      name: 'quota-pods',
      client,
      path: '/api/v1/pods',
      report: degraded?.reporter('quota/pods', 'pods'),
      project: (raw) => {
        // The UID is all a reservation waits for; read here so the projection need not keep it.
        if (this.#reservations.size > 0) {
          const uid = (raw as { metadata?: { uid?: unknown } }).metadata?.uid;
          if (typeof uid === 'string') this.#release(uid);
        }
        return projectQuotaPod(raw);
      },
      log: log.child({ informer: 'quota-pods' }),
      stallTimeoutMs,
    });
    this.#pods.on((event) => {
      if (event.previous) this.#count(event.previous, -1);
      if (event.type === 'upsert') this.#count(event.item, 1);
      this.#changed();
    });
    this.#namespaces.on(() => this.#changed());
    this.#namespaces.start();
    this.#pods.start();
  }

  async #stopInformers(): Promise<void> {
    const informers = [this.#pods, this.#namespaces];
    this.#pods = undefined;
    this.#namespaces = undefined;
    this.#byNamespace.clear();
    this.#reservations.clear();
    this.#reserved.clear();
    await Promise.all(informers.map((i) => i?.stop()));
  }

  #count(pod: QuotaPod, sign: 1 | -1): void {
    if (isTerminalPhase(pod.phase)) return;
    const amounts = podAmounts(pod);
    const current = this.#byNamespace.get(pod.namespace) ?? {};
    for (const resource of quotaResources)
      current[resource] = (current[resource] ?? 0) + sign * amounts[resource];
    this.#byNamespace.set(pod.namespace, current);
  }

  #changed(): void {
    for (const listener of this.#changeListeners) listener();
  }
}
