import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, workspaces } from '../schema';

/** A namespace placement with the names metering filters by. */
export interface MeteringPlacement {
  clusterId: string;
  clusterName: string;
  workspaceId: string;
  workspace: string;
  namespaceId: string;
  namespace: string;
}

const placementColumns = {
  clusterId: clusters.id,
  clusterName: clusters.name,
  workspaceId: workspaces.id,
  workspace: workspaces.name,
  namespaceId: namespaces.id,
  namespace: namespaces.name,
};

/** D1 binds at most 100 parameters per statement. */
const SLICE = 90;
const slices = <T>(items: T[]) =>
  Array.from({ length: Math.ceil(items.length / SLICE) }, (_, i) =>
    items.slice(i * SLICE, (i + 1) * SLICE),
  );

function placements(db: Database) {
  return db
    .select(placementColumns)
    .from(namespaces)
    .innerJoin(workspaces, eq(workspaces.id, namespaces.workspaceId))
    .innerJoin(clusters, eq(clusters.id, namespaces.clusterId));
}

/** Namespace placements of the given workspaces (every cluster they span). */
export async function placementsOfWorkspaces(
  db: Database,
  workspaceIds: string[],
): Promise<MeteringPlacement[]> {
  const parts = await Promise.all(
    slices(workspaceIds).map((ids) => placements(db).where(inArray(namespaces.workspaceId, ids))),
  );
  return parts.flat();
}

/** The given namespace placements by id. */
export async function placementsByIds(
  db: Database,
  namespaceIds: string[],
): Promise<MeteringPlacement[]> {
  const parts = await Promise.all(
    slices(namespaceIds).map((ids) => placements(db).where(inArray(namespaces.id, ids))),
  );
  return parts.flat();
}

/** Every cluster, for platform-wide readers. */
export async function allClusterNames(db: Database): Promise<{ id: string; name: string }[]> {
  return db.select({ id: clusters.id, name: clusters.name }).from(clusters);
}

/** The clusters with these ids. */
export async function clusterNamesByIds(
  db: Database,
  ids: string[],
): Promise<{ id: string; name: string }[]> {
  const parts = await Promise.all(
    slices(ids).map((slice) =>
      db
        .select({ id: clusters.id, name: clusters.name })
        .from(clusters)
        .where(inArray(clusters.id, slice)),
    ),
  );
  return parts.flat();
}
