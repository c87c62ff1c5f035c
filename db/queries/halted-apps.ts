import { and, asc, eq, isNotNull, isNull } from 'drizzle-orm';
import type { Database } from '../client';
import { apps, workspaces } from '../schema';

/**
 * Apps whose staged rollout halted (and are not being deleted), across every
 * workspace, with their workspace row; the caller filters by what the
 * principal may see. Halts are rare, so a bounded scan is cheap.
 */
export function listHaltedApps(db: Database, limit: number) {
  return db
    .select({ app: apps, workspace: workspaces })
    .from(apps)
    .innerJoin(workspaces, eq(workspaces.id, apps.workspaceId))
    .where(and(isNotNull(apps.halted), isNull(apps.deletingAt)))
    .orderBy(asc(apps.updatedAt))
    .limit(limit);
}
