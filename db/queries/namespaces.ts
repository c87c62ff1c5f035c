import { and, asc, eq, gt, inArray, or, type SQL } from 'drizzle-orm';
import type { Database } from '../client';
import { clusters, namespaces, roleBindings } from '../schema';
import type { PageRequest } from './paging';
import { boundScopeIds } from './reach';

/** A namespace placement with its cluster's name. */
export interface NamespaceRow {
  id: string;
  name: string;
  clusterId: string;
  cluster: string;
  workspaceId: string;
  createdBy: string | null;
  createdAt: Date;
}

const columns = {
  id: namespaces.id,
  name: namespaces.name,
  clusterId: namespaces.clusterId,
  cluster: clusters.name,
  workspaceId: namespaces.workspaceId,
  createdBy: namespaces.createdBy,
  createdAt: namespaces.createdAt,
};

/** The sort key of a namespace inside a workspace: its name, then its cluster's. */
export const namespaceKey = (ns: { name: string; cluster: string }) =>
  JSON.stringify([ns.name, ns.cluster]);

function afterKey(key: string): SQL | undefined {
  const parsed: unknown = JSON.parse(key);
  if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
  const [name, cluster] = parsed;
  if (typeof name !== 'string' || typeof cluster !== 'string') return undefined;
  return or(gt(namespaces.name, name), and(eq(namespaces.name, name), gt(clusters.name, cluster)));
}

/** Namespaces called `name` placed in a workspace (one per cluster at most). */
export async function findNamespaces(
  db: Database,
  workspaceId: string,
  name: string,
): Promise<NamespaceRow[]> {
  return db
    .select(columns)
    .from(namespaces)
    .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
    .where(and(eq(namespaces.workspaceId, workspaceId), eq(namespaces.name, name)))
    .orderBy(asc(clusters.name));
}

/**
 * One page of a workspace's namespaces. With `visibleTo` (a user id), only
 * namespaces where that user has a binding or whose cluster it has a
 * binding in, for callers without workspace-wide read.
 */
export async function listNamespaces(
  db: Database,
  workspaceId: string,
  page: PageRequest,
  visibleTo?: string,
): Promise<NamespaceRow[]> {
  const conditions: (SQL | undefined)[] = [eq(namespaces.workspaceId, workspaceId)];
  if (page.after !== undefined) {
    const after = (() => {
      try {
        return afterKey(page.after);
      } catch {
        return undefined;
      }
    })();
    if (!after) return [];
    conditions.push(after);
  }
  if (visibleTo !== undefined)
    conditions.push(
      or(
        inArray(namespaces.id, boundScopeIds(db, visibleTo, 'namespace')),
        inArray(namespaces.clusterId, boundScopeIds(db, visibleTo, 'cluster')),
      ),
    );
  return db
    .select(columns)
    .from(namespaces)
    .innerJoin(clusters, eq(clusters.id, namespaces.clusterId))
    .where(and(...conditions))
    .orderBy(asc(namespaces.name), asc(clusters.name))
    .limit(page.limit + 1);
}

/** Records a placement; `admin` (a self-provisioner) becomes the namespace's admin in the same batch. */
export async function createNamespace(
  db: Database,
  input: { workspaceId: string; clusterId: string; name: string; createdBy: string },
  admin?: { userId: string },
): Promise<string> {
  const id = crypto.randomUUID();
  const insert = db.insert(namespaces).values({ id, ...input });
  if (!admin) await insert;
  else
    await db.batch([
      insert,
      db.insert(roleBindings).values({
        scopeType: 'namespace',
        scopeId: id,
        subjectType: 'user',
        subjectId: admin.userId,
        role: 'admin',
        createdBy: input.createdBy,
      }),
    ]);
  return id;
}

/** Deletes a placement and the role bindings at it, in one batch. */
export async function deleteNamespace(db: Database, id: string): Promise<void> {
  await db.batch([
    db
      .delete(roleBindings)
      .where(and(eq(roleBindings.scopeType, 'namespace'), eq(roleBindings.scopeId, id))),
    db.delete(namespaces).where(eq(namespaces.id, id)),
  ]);
}

/** Whether the user has a binding in any namespace of the workspace (project members see their workspace). */
export async function hasNamespaceBindingIn(
  db: Database,
  workspaceId: string,
  userId: string,
): Promise<boolean> {
  const row = await db
    .select({ id: namespaces.id })
    .from(namespaces)
    .where(
      and(
        eq(namespaces.workspaceId, workspaceId),
        inArray(namespaces.id, boundScopeIds(db, userId, 'namespace')),
      ),
    )
    .get();
  return row !== undefined;
}

/** The placement of namespace `name` in a cluster, whichever workspace holds it. */
export async function placementInCluster(
  db: Database,
  clusterId: string,
  name: string,
): Promise<{ id: string; workspaceId: string } | undefined> {
  return db
    .select({ id: namespaces.id, workspaceId: namespaces.workspaceId })
    .from(namespaces)
    .where(and(eq(namespaces.clusterId, clusterId), eq(namespaces.name, name)))
    .get();
}
