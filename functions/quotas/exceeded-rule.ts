import { createDb } from '../../db/client';
import type { WorkspaceQuotaPush } from '../../protocol/quota-frames';
import {
  formatAmount,
  type QuotaResource,
  quotaResources,
  type ResourceAmounts,
} from '../../protocol/quota-resources';
import type { AlertingEnv } from '../alerting/alert-groups';
import { routeAndStore } from '../alerting/intake';
import type { IncomingAlert } from '../alerting/intake-schema';

/** Storage key (in the cluster's ClusterTunnel) of the firing quota alerts. */
const FIRING_KEY = 'alerting:workspace-quota-exceeded';
/** An alert raised by a denial alone ends this long after the last denial. */
export const DENIAL_HOLD_MS = 5 * 60_000;
/** Firing alerts stay up until resolved here, so no resend keeps them alive. */
const UNTIL_RESOLVED_MS = 365 * 86_400_000;

/** `until` set: raised by a denial alone, the alert ends by itself then (its endsAt). */
interface Firing {
  since: number;
  until?: number;
}
type FiringMap = Record<string, Firing>;

const keyOf = (workspace: string, resource: QuotaResource) => `${workspace}\u0000${resource}`;

export interface QuotaObservation {
  quota: WorkspaceQuotaPush;
  usedHere: ResourceAmounts;
  denied: readonly QuotaResource[];
}

/**
 * The built-in edge rule `WorkspaceQuotaExceeded`, per (workspace, cluster,
 * resource): firing while what the workspace uses in all its clusters is
 * over its cap (resolved when it is back under); and when admission in this
 * cluster denied a pod for that resource, firing with an end time
 * DENIAL_HOLD_MS after the last denial, so it ends by itself once pods stop
 * being refused (usage never went over, so nothing else would resolve it).
 */
export class QuotaExceededRule {
  readonly #env: AlertingEnv;
  readonly #storage: DurableObjectStorage;

  constructor(env: AlertingEnv, storage: DurableObjectStorage) {
    this.#env = env;
    this.#storage = storage;
  }

  async evaluate(cluster: string, observed: QuotaObservation[], now = Date.now()): Promise<void> {
    if (!cluster) return;
    const firing = (await this.#storage.get<FiringMap>(FIRING_KEY)) ?? {};
    const alerts: IncomingAlert[] = [];
    const seen = new Set<string>();
    let changed = false;
    const set = (key: string, state: Firing | undefined) => {
      if (state) firing[key] = state;
      else delete firing[key];
      changed = true;
    };
    for (const { quota, usedHere, denied } of observed) {
      for (const resource of quotaResources) {
        const hard = quota.hard[resource];
        if (hard === undefined) continue;
        const key = keyOf(quota.workspace, resource);
        seen.add(key);
        const used = (usedHere[resource] ?? 0) + (quota.usedElsewhere[resource] ?? 0);
        const current = firing[key];
        const figures = { used, hard, since: current?.since ?? now };
        const alert = (endsAt: number) =>
          alerts.push(alertOf(quota.workspace, cluster, resource, figures, endsAt));
        if (used > hard) {
          if (current && current.until === undefined) continue; // already firing until resolved
          set(key, { since: figures.since });
          alert(now + UNTIL_RESOLVED_MS);
        } else if (denied.includes(resource)) {
          const until = now + DENIAL_HOLD_MS;
          set(key, { since: figures.since, until });
          alert(until);
        } else if (current && current.until === undefined) {
          set(key, undefined);
          alert(now); // back under the cap: resolved
        } else if (current?.until !== undefined && current.until <= now) {
          set(key, undefined); // its end time passed: resolved by itself
        }
      }
    }
    // Quotas removed (or no cap on that resource any more): their alerts resolve.
    for (const [key, state] of Object.entries(firing)) {
      if (seen.has(key)) continue;
      const [workspace = '', resource = 'pods'] = key.split('\u0000') as [string, QuotaResource];
      alerts.push(alertOf(workspace, cluster, resource, { since: state.since }, now));
      set(key, undefined);
    }
    if (alerts.length > 0) await routeAndStore(this.#env, createDb(this.#env.DB), alerts, now);
    if (changed) await this.#storage.put(FIRING_KEY, firing);
  }
}

function alertOf(
  workspace: string,
  cluster: string,
  resource: QuotaResource,
  figures: { used?: number; hard?: number; since: number },
  endsAt: number,
): IncomingAlert {
  const detail =
    figures.used !== undefined && figures.hard !== undefined
      ? `uses ${formatAmount(resource, figures.used)} of ${formatAmount(resource, figures.hard)}`
      : 'has no cap on it any more';
  return {
    labels: {
      alertname: 'WorkspaceQuotaExceeded',
      workspace,
      cluster,
      resource,
      severity: 'warning',
    },
    annotations: {
      summary: `Workspace ${workspace} is over its ${resource} quota.`,
      description: `Workspace ${workspace} ${detail} ${resource} across its clusters (seen from cluster ${cluster}).`,
    },
    startsAt: figures.since,
    endsAt,
    generatorURL: '',
  };
}
