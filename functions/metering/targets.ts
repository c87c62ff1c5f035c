import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { grantsOfWorkspaces, placementsOfWorkspaces } from '../../db/queries/metering';
import { clusterAccess } from '../clusters/access';
import { forbidden } from '../errors';
import { visibleWorkspace } from '../iam/scopes';
import {
  type ClusterReach,
  type MeteringResource,
  meteringReach,
  readsWorkspace,
  unixSeconds,
} from './reach';

/**
 * The cluster stores a query goes to. A named cluster the caller cannot see
 * is 404 (as everywhere), one they see but may not read metering of is 403;
 * the same for a named workspace, whose query spans every cluster granted to
 * it or holding one of its namespaces, and counts its series only from its
 * creation on (a workspace re-created under an old name starts empty).
 */
export async function resolveTargets(
  db: Database,
  principal: Principal,
  resource: MeteringResource,
  wanted: { cluster?: string | undefined; workspace?: string | undefined },
): Promise<ClusterReach[]> {
  const reach = await meteringReach(db, principal, resource);
  let targets = [...reach.values()];
  if (wanted.cluster !== undefined) {
    const entry = reach.get(wanted.cluster);
    if (!entry) {
      await clusterAccess(db, principal, wanted.cluster);
      throw forbidden(`You may not read ${resource} of cluster "${wanted.cluster}".`);
    }
    targets = [entry];
  }
  if (wanted.workspace !== undefined) {
    const name = wanted.workspace;
    const { workspace } = await visibleWorkspace(db, principal, name);
    const [placed, granted] = await Promise.all([
      placementsOfWorkspaces(db, [workspace.id]),
      grantsOfWorkspaces(db, [workspace.id]),
    ]);
    const spanned = new Set([...placed, ...granted].map((p) => p.clusterName));
    const readable = targets.filter((t) => readsWorkspace(t, name));
    const anywhere = [...reach.values()].some((t) => readsWorkspace(t, name));
    if (!anywhere && spanned.size)
      throw forbidden(`You may not read ${resource} of workspace "${name}".`);
    const since = [{ name, since: unixSeconds(workspace.createdAt) }];
    targets = readable
      .filter((t) => spanned.has(t.clusterName))
      .map((t) => ({ ...t, workspaceSince: since }));
  }
  return targets.sort((a, b) => a.clusterName.localeCompare(b.clusterName));
}
