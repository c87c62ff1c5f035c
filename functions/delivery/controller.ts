import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { admit, appClusterRows, collectDeleted, haltApp } from '../../db/queries/apps';
import { apps } from '../../db/schema';
import { rolloutVerdict } from './rollout';
import type { AppSpec } from './schemas';

/**
 * Moves the apps' rollouts on (admits the next clusters, or halts) and
 * collects finished deletions (`stagedOnly`: only apps with a rollout move). `local` sends to the calling tunnel's own
 * cluster at once; the other admitted clusters come back for pushRemote.
 */
export async function advanceApps(
  db: Database,
  appIds: string[],
  now: Date,
  local?: { clusterId: string; push: (appIds: string[]) => Promise<void> },
  options: { stagedOnly?: boolean } = {},
): Promise<RemotePushes> {
  const remote: RemotePushes = new Map();
  if (appIds.length === 0) return remote;
  await collectDeleted(db, now, appIds);
  const loaded = await db
    .select()
    .from(apps)
    .where(inArray(apps.id, appIds.slice(0, 90)));
  // stagedOnly (a cluster's report): an app without a rollout admitted every cluster at its
  // edit, and a report cannot halt it; reading its N entries on each of N reports made an
  // edit cost O(N²) D1 rows.
  const records = options.stagedOnly
    ? loaded.filter((a) => (a.spec as AppSpec).rollout !== undefined)
    : loaded;
  if (records.length === 0) return remote;
  const rows = await appClusterRows(
    db,
    records.map((a) => a.id),
  );
  const pushes = new Map<string, string[]>();
  for (const app of records) {
    const verdict = rolloutVerdict(
      app,
      app.spec as AppSpec,
      rows.filter((r) => r.appId === app.id),
      now,
    );
    if (verdict.halt) await haltApp(db, app.id, { generation: app.generation, ...verdict.halt });
    if (verdict.admit.length === 0) continue;
    const admitted = await admit(
      db,
      app.id,
      verdict.admit.map((r) => r.clusterId),
      app.generation,
      now,
      (app.spec as AppSpec).rollout?.maxUnavailableClusters,
    );
    for (const clusterId of admitted)
      pushes.set(clusterId, [...(pushes.get(clusterId) ?? []), app.id]);
  }
  for (const [clusterId, ids] of pushes)
    if (local?.clusterId === clusterId) await local.push(ids);
    else remote.set(clusterId, ids);
  return remote;
}

/** Clusters (other than the caller's) to push apps to, once the caller holds no lock. */
export type RemotePushes = Map<string, string[]>;

/** At most this many tunnels are called by one invocation; each relays to its share of the rest. */
export const FANOUT_WIDTH = 8;

/** A cluster to push to, with the apps it owes. */
export type PushTarget = [clusterId: string, appIds: string[]];

/**
 * Splits targets into at most `width` groups: each group's first cluster is
 * called with the group's others to relay to. A fan-out to N tunnels is then
 * a tree of depth log_width(N): no invocation (the edit's request or a
 * tunnel) makes more than `width` calls, whatever the fleet's size, so an
 * edit stays within a request's subrequest budget and its wall time.
 */
export function fanoutGroups(targets: PushTarget[], width = FANOUT_WIDTH) {
  const size = Math.ceil(targets.length / width);
  const groups: { head: PushTarget; relay: PushTarget[] }[] = [];
  for (let i = 0; i < targets.length; i += size) {
    const [head, ...relay] = targets.slice(i, i + size);
    if (head) groups.push({ head, relay });
  }
  return groups;
}

/**
 * Tells those clusters' tunnels to send (through the fan-out tree). Called
 * outside any feature's serial section: two tunnels pushing to each other
 * while each waits on its own queue would wait forever.
 */
export async function pushRemote(push: PushDelivery, remote: RemotePushes): Promise<void> {
  await Promise.allSettled(
    fanoutGroups([...remote]).map(({ head: [clusterId, ids], relay }) =>
      push(clusterId, ids, relay),
    ),
  );
}

/**
 * Asks one cluster's tunnel to send these apps (its `pushDelivery`), and to
 * relay the push to `relay`: given by the caller, so this module and the
 * tunnel feature need not name the tunnel's class.
 */
export type PushDelivery = (
  clusterId: string,
  appIds: string[],
  relay: PushTarget[],
) => Promise<unknown>;
