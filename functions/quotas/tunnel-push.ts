import { createDb } from '../../db/client';
import { clusterIdByName, clustersOfWorkspace, recordUsage } from '../../db/queries/quotas';
import type { QuotasFrame, QuotaUsageFrame } from '../../protocol/quota-frames';
import type { QuotaResource, ResourceAmounts } from '../../protocol/quota-resources';
import type { AlertingEnv } from '../alerting/alert-groups';
import { type ClusterBundle, clusterBundle } from './cluster-bundle';
import { QuotaExceededRule } from './exceeded-rule';

const REVISION_KEY = 'quotas:revision';
/** Set once a non-empty bundle went out: from then on every HELLO gets one (even empty, to clear). */
const EVER_PUSHED_KEY = 'quotas:ever-pushed';
/** The last usage this cluster reported, per workspace name. */
const USAGE_KEY = 'quotas:usage';

type UsageMap = Record<string, ResourceAmounts>;

/**
 * The quota side of a cluster's ClusterTunnel: pushes the workspace quotas
 * that apply in the cluster to its agents, and takes the leader's usage
 * reports (stored in D1 so every cluster's `usedElsewhere` and the API's
 * GET read one table), re-pushing to the workspace's other clusters when a
 * report changed what they must count as used elsewhere.
 */
export class QuotaRelay {
  readonly #env: AlertingEnv;
  readonly #storage: DurableObjectStorage;
  readonly #rule: QuotaExceededRule;
  readonly #pushToCluster: (clusterId: string) => Promise<unknown>;

  /** `pushToCluster` re-pushes another cluster's quotas (its tunnel's pushQuotas). */
  constructor(
    env: AlertingEnv,
    storage: DurableObjectStorage,
    pushToCluster: (clusterId: string) => Promise<unknown>,
  ) {
    this.#env = env;
    this.#storage = storage;
    this.#pushToCluster = pushToCluster;
    this.#rule = new QuotaExceededRule(env, storage);
  }

  /**
   * Sends the cluster's quotas through `send` (to one agent on HELLO, to all
   * on a push) and re-evaluates the alert rule against the new caps. With
   * `onlyIfEverPushed`, a cluster that never had a quota gets no frame.
   * Returns how many agents `send` reached.
   */
  async push(
    cluster: string,
    send: (frame: QuotasFrame) => number,
    options: { onlyIfEverPushed?: boolean } = {},
  ): Promise<number> {
    const db = createDb(this.#env.DB);
    const clusterId = cluster ? await clusterIdByName(db, cluster) : undefined;
    if (!clusterId) return 0;
    const bundle = await clusterBundle(db, clusterId);
    const everPushed = (await this.#storage.get<boolean>(EVER_PUSHED_KEY)) === true;
    if (bundle.workspaces.length === 0 && !everPushed && options.onlyIfEverPushed) return 0;
    const revision = ((await this.#storage.get<number>(REVISION_KEY)) ?? 0) + 1;
    await this.#storage.put(REVISION_KEY, revision);
    if (bundle.workspaces.length > 0 && !everPushed) await this.#storage.put(EVER_PUSHED_KEY, true);
    const reached = send({ type: 'quotas', revision, workspaces: bundle.workspaces });
    await this.#evaluate(cluster, bundle, (await this.#storage.get<UsageMap>(USAGE_KEY)) ?? {}, {});
    return reached;
  }

  /** The leader's usage report: store, alert, and tell the workspace's other clusters. */
  async onUsage(cluster: string, frame: QuotaUsageFrame, now = Date.now()): Promise<void> {
    const db = createDb(this.#env.DB);
    const clusterId = cluster ? await clusterIdByName(db, cluster) : undefined;
    if (!clusterId) return;
    const bundle = await clusterBundle(db, clusterId);
    const previous = (await this.#storage.get<UsageMap>(USAGE_KEY)) ?? {};
    const usage: UsageMap = {};
    const denied: Record<string, readonly QuotaResource[]> = {};
    const changed: { workspaceId: string; used: Record<string, number> }[] = [];
    for (const report of frame.workspaces) {
      const workspaceId = bundle.ids.get(report.workspace);
      if (!workspaceId) continue; // no quota here (any more): nothing to count against
      usage[report.workspace] = report.used;
      if (report.denied?.length) denied[report.workspace] = report.denied;
      if (JSON.stringify(previous[report.workspace]) !== JSON.stringify(report.used))
        changed.push({ workspaceId, used: report.used as Record<string, number> });
    }
    if (changed.length > 0) await recordUsage(db, clusterId, changed, new Date(now));
    await this.#storage.put(USAGE_KEY, usage);
    await this.#evaluate(cluster, bundle, usage, denied, now);

    // Their usedElsewhere just changed: push to the other clusters the workspaces span.
    const others = new Set<string>();
    for (const { workspaceId } of changed)
      for (const other of await clustersOfWorkspace(db, workspaceId))
        if (other.id !== clusterId) others.add(other.id);
    await Promise.all([...others].map((id) => this.#pushToCluster(id)));
  }

  /** The cluster is being deleted: every quota alert it raised resolves. */
  async forget(cluster: string): Promise<void> {
    await this.#rule.evaluate(cluster, []);
  }

  async #evaluate(
    cluster: string,
    bundle: ClusterBundle,
    usage: UsageMap,
    denied: Record<string, readonly QuotaResource[]>,
    now = Date.now(),
  ): Promise<void> {
    await this.#rule.evaluate(
      cluster,
      bundle.workspaces.map((quota) => ({
        quota,
        usedHere: usage[quota.workspace] ?? {},
        denied: denied[quota.workspace] ?? [],
      })),
      now,
    );
  }
}
