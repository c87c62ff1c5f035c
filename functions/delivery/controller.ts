import { inArray } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { admit, appClusterRows, collectDeleted, haltApp } from '../../db/queries/apps';
import { apps } from '../../db/schema';
import type { Env } from '../env';
import { rolloutVerdict } from './rollout';
import type { AppSpec } from './schemas';

/**
 * Moves the apps' rollouts on (admits the next clusters, or halts) and
 * collects finished deletions, then tells the tunnels of the clusters just
 * admitted to send the new generation. `local` handles the calling
 * tunnel's own cluster without a round trip to itself.
 */
export async function advanceApps(
  env: Env,
  db: Database,
  appIds: string[],
  now: Date,
  local?: { clusterId: string; push: (appIds: string[]) => Promise<void> },
): Promise<void> {
  if (appIds.length === 0) return;
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
    await admit(
      db,
      app.id,
      verdict.admit.map((r) => r.clusterId),
      app.generation,
      now,
    );
    for (const row of verdict.admit)
      pushes.set(row.clusterId, [...(pushes.get(row.clusterId) ?? []), app.id]);
  }
  await Promise.allSettled(
    [...pushes].map(([clusterId, ids]) =>
      local?.clusterId === clusterId
        ? local.push(ids)
        : env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(clusterId)).pushDelivery(ids),
    ),
  );
}
