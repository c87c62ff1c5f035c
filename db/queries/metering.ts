import { eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, workspaceClusters, workspaces } from '../schema';

/** A cluster as metering addresses it: its store by id, its legacy store by name from its registration on. */
export interface MeteringCluster {
  id: string;
  name: string;
  createdAt: Date;
}

/** A workspace's tie to a cluster (a grant or a placement), with the workspace's creation. */
export interface WorkspaceInCluster {
  clusterId: string;
  clusterName: string;
  clusterCreatedAt: Date;
  workspaceId: string;
  workspace: string;
  workspaceCreatedAt: Date;
}

/** A namespace placement with the names metering filters by, and when each was made. */
export interface MeteringPlacement extends WorkspaceInCluster {
  namespaceId: string;
  namespace: string;
  namespaceCreatedAt: Date;
}

const clusterColumns = { id: clusters.id, name: clusters.name, createdAt: clusters.createdAt };

const tieColumns = {
  clusterId: clusters.id,
  clusterName: clusters.name,
  clusterCreatedAt: clusters.createdAt,
  workspaceId: workspaces.id,
  workspace: workspaces.name,
  workspaceCreatedAt: workspaces.createdAt,
};

const placementColumns = {
  ...tieColumns,
  namespaceId: namespaces.id,
  namespace: namespaces.name,
  namespaceCreatedAt: namespaces.createdAt,
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

/**
 * The clusters granted to the given workspaces (workspace_clusters): a
 * workspace reads its series there whether or not its namespaces were
 * placed through the API (issue #12).
 */
export async function grantsOfWorkspaces(
  db: Database,
  workspaceIds: string[],
): Promise<WorkspaceInCluster[]> {
  const parts = await Promise.all(
    slices(workspaceIds).map((ids) =>
      db
        .select(tieColumns)
        .from(workspaceClusters)
        .innerJoin(workspaces, eq(workspaces.id, workspaceClusters.workspaceId))
        .innerJoin(clusters, eq(clusters.id, workspaceClusters.clusterId))
        .where(inArray(workspaceClusters.workspaceId, ids)),
    ),
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
export async function allClusterNames(db: Database): Promise<MeteringCluster[]> {
  return db.select(clusterColumns).from(clusters);
}

/** The clusters with these ids. */
export async function clusterNamesByIds(db: Database, ids: string[]): Promise<MeteringCluster[]> {
  const parts = await Promise.all(
    slices(ids).map((slice) =>
      db.select(clusterColumns).from(clusters).where(inArray(clusters.id, slice)),
    ),
  );
  return parts.flat();
}
