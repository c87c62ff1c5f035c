import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, workspaces } from '../schema';

/** D1 binds at most 100 parameters per statement. */
const SLICE = 90;

async function inSlices<T>(ids: string[], read: (part: string[]) => Promise<T[]>): Promise<T[]> {
  const unique = [...new Set(ids)];
  const parts: Promise<T[]>[] = [];
  for (let i = 0; i < unique.length; i += SLICE) parts.push(read(unique.slice(i, i + SLICE)));
  return (await Promise.all(parts)).flat();
}

export interface NamedRef {
  id: string;
  name: string;
}

/** The names of the workspaces `ids` (unknown ids are left out). */
export async function workspaceNames(db: Database, ids: string[]): Promise<NamedRef[]> {
  return inSlices(ids, (part) =>
    db
      .select({ id: workspaces.id, name: workspaces.name })
      .from(workspaces)
      .where(inArray(workspaces.id, part)),
  );
}

/** A namespace placed in a workspace, with its cluster's name: where a workspace's alerts come from. */
export interface WorkspaceNamespace {
  workspaceId: string;
  clusterName: string;
  namespace: string;
}

/** The namespaces placed in the workspaces `ids`, by cluster then namespace name. */
export async function namespacesOfWorkspaces(
  db: Database,
  ids: string[],
): Promise<WorkspaceNamespace[]> {
  return inSlices(ids, (part) =>
    db
      .select({
        workspaceId: namespaces.workspaceId,
        clusterName: clusters.name,
        namespace: namespaces.name,
      })
      .from(namespaces)
      .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
      .where(inArray(namespaces.workspaceId, part))
      .orderBy(asc(clusters.name), asc(namespaces.name)),
  );
}
