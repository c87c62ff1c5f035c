import type { AppClusterRow, AppRecord } from '../../db/queries/apps';
import type { AppSpec, clusterStates } from './schemas';

export type ClusterState = (typeof clusterStates)[number];

/**
 * A cluster entry's state as it reads now. An entry whose last report came
 * through a connection that is no longer the cluster's delivery link (or a
 * cluster with no link) is `unreachable`: the link goes the moment the
 * leader's socket closes, so this is never a timeout.
 */
export function effectiveState(row: AppClusterRow): ClusterState {
  if (row.removing) return 'deleting';
  if (row.link === null || (row.connectionId !== null && row.connectionId !== row.link))
    return 'unreachable';
  if (row.targetGeneration === 0) return 'pending';
  if (row.observedGeneration !== row.targetGeneration)
    return row.ackedGeneration >= row.targetGeneration ? 'progressing' : 'pending';
  if (row.state === 'ready' || row.state === 'failed' || row.state === 'progressing')
    return row.state;
  return 'pending';
}

export const reachable = (row: AppClusterRow) => effectiveState(row) !== 'unreachable';

export interface RolloutVerdict {
  /** Clusters to admit to the app's generation now. */
  admit: AppClusterRow[];
  /** Set when the rollout halts now (a cluster failed or missed its deadline). */
  halt?: { cluster: string; message: string };
}

/**
 * The staged rollout, as a pure decision over the app's entries. Without a
 * rollout every placed cluster is admitted at once. With one, at most
 * `maxUnavailableClusters` reachable clusters are admitted and not yet
 * ready at a time; the next are admitted (by cluster name) as those become
 * ready. A cluster that reports `failed` on the generation, or is not ready
 * `progressDeadlineSeconds` after its admission, halts the rollout until
 * the app changes. Unreachable clusters are deferred: not admitted, not
 * counted, never a reason to halt; they get their turn when they return.
 */
export function rolloutVerdict(
  app: Pick<AppRecord, 'generation' | 'deletingAt' | 'halted'>,
  spec: AppSpec,
  rows: AppClusterRow[],
  now: Date,
): RolloutVerdict {
  if (app.deletingAt) return { admit: [] };
  const placed = rows.filter((r) => !r.removing);
  const waiting = placed.filter((r) => r.targetGeneration < app.generation);
  const rollout = spec.rollout;
  if (!rollout) return { admit: waiting };
  if (app.halted && app.halted.generation === app.generation) return { admit: [] };
  const deadlineMs = rollout.progressDeadlineSeconds * 1000;
  let inFlight = 0;
  for (const row of placed) {
    if (row.targetGeneration !== app.generation) continue;
    const state = effectiveState(row);
    if (state === 'unreachable' || state === 'ready') continue;
    if (state === 'failed')
      return {
        admit: [],
        halt: { cluster: row.cluster, message: row.message ?? 'the workloads report failure' },
      };
    const admittedAt = row.admittedAt?.getTime() ?? now.getTime();
    if (now.getTime() - admittedAt > deadlineMs)
      return {
        admit: [],
        halt: {
          cluster: row.cluster,
          message: `not ready within ${rollout.progressDeadlineSeconds}s (progressDeadlineSeconds)`,
        },
      };
    inFlight++;
  }
  const slots = Math.max(0, rollout.maxUnavailableClusters - inFlight);
  const admit = waiting
    .filter(reachable)
    .sort((a, b) => a.cluster.localeCompare(b.cluster))
    .slice(0, slots);
  return { admit };
}
