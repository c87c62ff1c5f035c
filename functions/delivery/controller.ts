import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { admit, appClusterRows, collectDeleted, haltApp } from '../../db/queries/apps';
import { apps } from '../../db/schema';
import { rolloutVerdict } from './rollout';
import type { AppSpec } from './schemas';

/**
 * Moves the apps' rollouts on (admits the next clusters, or halts) and
 * collects finished deletions. `local` sends to the calling tunnel's own
 * cluster at once; the other admitted clusters come back for pushRemote.
 */
export async function advanceApps(
  db: Database,
  appIds: string[],
  now: Date,
  local?: { clusterId: string; push: (appIds: string[]) => Promise<void> },
): Promise<RemotePushes> {
  const remote: RemotePushes = new Map();
  if (appIds.length === 0) return remote;
  await collectDeleted(db, now, appIds);
  const records = await db
    .select()
    .from(apps)
    .where(inArray(apps.id, appIds.slice(0, 90)));
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

/**
 * Tells those clusters' tunnels to send. Called outside any feature's serial
 * section: two tunnels pushing to each other while each waits on its own
 * queue would wait forever.
 */
export async function pushRemote(push: PushDelivery, remote: RemotePushes): Promise<void> {
  await Promise.allSettled([...remote].map(([clusterId, ids]) => push(clusterId, ids)));
}

/**
 * Asks one cluster's tunnel to send these apps (its `pushDelivery`): given by
 * the caller, so this module and the tunnel feature need not name the
 * tunnel's class.
 */
export type PushDelivery = (clusterId: string, appIds: string[]) => Promise<unknown>;
