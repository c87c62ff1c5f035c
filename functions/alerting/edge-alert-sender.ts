import { createDb } from '../../db/client';
import { log } from '../log';
import type { AlertingEnv } from './alert-groups';
import { routeAndStore } from './intake';
import type { IncomingAlert } from './intake-schema';
import { clusterShard } from './shards';

/** An alert the edge raises stays firing until the rule resolves it, so no resend keeps it alive. */
export const UNTIL_RESOLVED_MS = 365 * 86_400_000;

/**
 * Sends the alerts of edge rules (node, version skew) one batch after the
 * other: a rule may fire and resolve the same alert within moments, and the
 * resolve must not overtake the firing on the way to the alert's shard.
 */
export class EdgeAlertSender {
  readonly #env: AlertingEnv;
  readonly #clusterId: string | undefined;
  #chain: Promise<void> = Promise.resolve();

  /** `clusterId`: the cluster's immutable id (its tunnel's name); unknown, the shard is found by name. */
  constructor(env: AlertingEnv, clusterId: string | undefined) {
    this.#env = env;
    this.#clusterId = clusterId;
  }

  /** Sends alerts of one cluster (edge rules raise alerts of their own cluster only). */
  send(_cluster: string, alerts: IncomingAlert[], now: number): Promise<void> {
    if (alerts.length === 0) return this.#chain;
    const options = this.#clusterId ? { shard: clusterShard(this.#clusterId) } : {};
    const next = this.#chain.then(async () => {
      await routeAndStore(this.#env, createDb(this.#env.DB), alerts, now, options);
    });
    // One failed send (D1 hiccup) must not wedge the rules' later sends.
    this.#chain = next.catch((error: unknown) => {
      log.error('edge alert send failed', { error: String(error) });
    });
    return next;
  }
}
