import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { clusterByName } from '../../db/queries/clusters';
import { findWorkspace } from '../../db/queries/workspaces';
import { ownerOf, scopeOfOwner } from '../alerting/owner';
import { badRequest, notFound } from '../errors';
import { authorize, can, canSee } from '../iam/authorize';

/**
 * The owner named by a request body's `workspace` / `cluster` (names), after
 * checking the caller may `verb` `resource` there. Unknown or invisible
 * names are 404 alike.
 */
export async function ownerFor(
  db: Database,
  principal: Principal,
  ref: { workspace?: string | undefined; cluster?: string | undefined },
  verb: string,
  resource: string,
): Promise<{ owner: string; workspace?: string; cluster?: string }> {
  if (ref.workspace && ref.cluster) throw badRequest('Give either workspace or cluster, not both.');
  if (ref.workspace) {
    const ws = await findWorkspace(db, ref.workspace);
    if (!ws) throw notFound(`Workspace "${ref.workspace}"`);
    const owner = ownerOf({ workspaceId: ws.id });
    authorize(principal, verb, resource, scopeOfOwner(owner), `Workspace "${ref.workspace}"`);
    return { owner, workspace: ws.name };
  }
  if (ref.cluster) {
    const cl = await clusterByName(db, ref.cluster);
    if (!cl) throw notFound(`Cluster "${ref.cluster}"`);
    const owner = ownerOf({ clusterId: cl.id });
    authorize(principal, verb, resource, scopeOfOwner(owner), `Cluster "${ref.cluster}"`);
    return { owner, cluster: cl.name };
  }
  authorize(principal, verb, resource, scopeOfOwner('platform'), 'Platform');
  return { owner: 'platform' };
}

/** Whether the caller may `verb` `resource` owned by `owner` (and may know it exists). */
export function mayOnOwner(
  principal: Principal,
  verb: string,
  resource: string,
  owner: string,
): boolean {
  const scope = scopeOfOwner(owner);
  return canSee(principal, scope) && can(principal, verb, resource, scope);
}

/**
 * The owners whose `resource` the caller may list: undefined for all
 * (platform-wide right), else the workspaces and clusters it holds roles in.
 */
export function listableOwners(principal: Principal, resource: string): string[] | undefined {
  if (can(principal, 'list', resource, scopeOfOwner('platform'))) return undefined;
  const owners = new Set<string>();
  for (const b of principal.bindings) {
    if (b.scopeType !== 'workspace' && b.scopeType !== 'cluster') continue;
    const owner =
      b.scopeType === 'workspace'
        ? ownerOf({ workspaceId: b.scopeId })
        : ownerOf({ clusterId: b.scopeId });
    if (mayOnOwner(principal, 'list', resource, owner)) owners.add(owner);
  }
  return [...owners];
}
