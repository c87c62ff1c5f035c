import type { StoreQuery } from '../../../functions/metering/store-query-types';
import type { MeteringPayload, PodUsage } from '../../../protocol/metering-samples';

export const GiB = 1024 ** 3;

/** One pod's usage in a window: `cores` busy and `gib` memory for the window's length. */
export type PodOverrides = Partial<PodUsage> & { cores?: number; gib?: number };

export function podUsage(seconds: number, over: PodOverrides = {}): PodUsage {
  const { cores = 1, gib = 1, ...rest } = over;
  return {
    namespace: 'default',
    workspace: 'ws-a',
    node: 'node-1',
    pod: 'web-1',
    workloadKind: 'Deployment',
    workload: 'web',
    cpuCoreSeconds: cores * seconds,
    memoryByteSeconds: gib * GiB * seconds,
    netReceivedBytes: 1000,
    netTransmittedBytes: 2000,
    pvcByteSeconds: GiB * seconds,
    ...rest,
  };
}

export function windowOf(start: number, seconds: number, pods: PodOverrides[]): MeteringPayload {
  return {
    windowStart: start,
    windowEnd: start + seconds,
    charging: 'max',
    pods: pods.map((p) => podUsage(seconds, p)),
  };
}

export function storeQuery(over: Partial<StoreQuery>): StoreQuery {
  return {
    groupBy: [],
    filter: {},
    start: 0,
    end: 0,
    step: null,
    priceChanges: [],
    maxCells: 100_000,
    ...over,
  };
}

/** A whole hour some days before now, so minute facts are within raw retention. */
export const hoursAgo = (hours: number) => {
  const now = Math.floor(Date.now() / 1000);
  return now - (now % 3600) - hours * 3600;
};

/** The MeteringStore of registered cluster `name` (stores are keyed by the cluster's id). */
export async function clusterStore(name: string) {
  const { env } = await import('cloudflare:workers');
  const { meteringStoreOf } = await import('../../../functions/metering/store-names');
  const row = await env.DB.prepare('SELECT id FROM clusters WHERE name = ?')
    .bind(name)
    .first<{ id: string }>();
  if (!row) throw new Error(`no cluster "${name}"`);
  return meteringStoreOf(env, row.id);
}

/**
 * Makes every workspace and namespace placement older than the tests'
 * facts (which lie days back): a workspace's series count only from its
 * creation on, and the fixture creates them now.
 */
export async function predateTenancy(): Promise<void> {
  const { env } = await import('cloudflare:workers');
  await env.DB.batch([
    env.DB.prepare('UPDATE workspaces SET created_at = 0'),
    env.DB.prepare('UPDATE namespaces SET created_at = 0'),
  ]);
}
