import { createDb } from '../../db/client';
import { routeAndStore } from '../alerting/intake';
import type { IncomingAlert } from '../alerting/intake-schema';
import type { Env } from '../env';
import type { WorkspaceQuotaPush } from './frames';
import {
  formatAmount,
  type QuotaResource,
  quotaResources,
  type ResourceAmounts,
} from './resources';

/** Storage key (in the cluster's ClusterTunnel) of the firing quota alerts. */
const FIRING_KEY = 'alerting:workspace-quota-exceeded';
/** A denial alone keeps the alert up this long after the last denial (there is no usage to fall). */
export const DENIAL_HOLD_MS = 5 * 60_000;
/** Firing alerts stay up until resolved here, so no resend keeps them alive. */
const UNTIL_RESOLVED_MS = 365 * 86_400_000;

interface Firing {
  since: number;
  lastDenied?: number;
}
type FiringMap = Record<string, Firing>;

const keyOf = (workspace: string, resource: QuotaResource) => `${workspace}\u0000${resource}`;

export interface QuotaObservation {
  quota: WorkspaceQuotaPush;
  usedHere: ResourceAmounts;
  denied: readonly QuotaResource[];
}

/**
 * The built-in edge rule `WorkspaceQuotaExceeded`: fires per (workspace,
 * cluster, resource) when what the workspace uses in all its clusters is over
 * its hard cap, or when admission in this cluster denied a pod for that
 * resource; resolves once usage is back under (and no denial for a while).
 */
export class QuotaExceededRule {
  readonly #env: Env;
  readonly #storage: DurableObjectStorage;

  constructor(env: Env, storage: DurableObjectStorage) {
    this.#env = env;
    this.#storage = storage;
  }

  async evaluate(cluster: string, observed: QuotaObservation[], now = Date.now()): Promise<void> {
    if (!cluster) return;
    const firing = (await this.#storage.get<FiringMap>(FIRING_KEY)) ?? {};
    const alerts: IncomingAlert[] = [];
    const seen = new Set<string>();
    let changed = false;
    for (const { quota, usedHere, denied } of observed) {
      for (const resource of quotaResources) {
        const hard = quota.hard[resource];
        if (hard === undefined) continue;
        const key = keyOf(quota.workspace, resource);
        seen.add(key);
        const used = (usedHere[resource] ?? 0) + (quota.usedElsewhere[resource] ?? 0);
        const current = firing[key];
        const wasDenied = denied.includes(resource);
        const lastDenied = wasDenied ? now : current?.lastDenied;
        const over = used > hard;
        const held = lastDenied !== undefined && now - lastDenied < DENIAL_HOLD_MS;
        if (over || held) {
          if (!current || wasDenied) {
            const since = current?.since ?? now;
            firing[key] = lastDenied === undefined ? { since } : { since, lastDenied };
            changed = true;
            if (!current)
              alerts.push(
                alertOf(
                  quota.workspace,
                  cluster,
                  resource,
                  { used, hard, since },
                  now + UNTIL_RESOLVED_MS,
                ),
              );
          }
        } else if (current) {
          alerts.push(
            alertOf(quota.workspace, cluster, resource, { used, hard, since: current.since }, now),
          );
          delete firing[key];
          changed = true;
        }
      }
    }
    // Quotas removed (or lowered to no cap on that resource): their alerts resolve.
    for (const [key, state] of Object.entries(firing)) {
      if (seen.has(key)) continue;
      const [workspace = '', resource = 'pods'] = key.split('\u0000') as [string, QuotaResource];
      alerts.push(alertOf(workspace, cluster, resource, { since: state.since }, now));
      delete firing[key];
      changed = true;
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
