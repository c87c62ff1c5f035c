import type { Context } from 'hono';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';

export interface NamespacePlacement {
  workspace: string;
  cluster: string;
  name: string;
}

export type NamespaceHook = (c: Context<AppEnv>, namespace: NamespacePlacement) => Promise<void>;

/** What a `preparing` hook hands back: the change to make once the placement is recorded. */
export type NamespaceApply = () => Promise<void>;

/**
 * Runs before the placement is recorded: reads the cluster and refuses a
 * takeover by throwing (409 with a code). `mayAdopt` says whether the caller
 * may take an existing namespace that carries no workspace label (platform
 * or cluster admins only).
 */
export type NamespacePrepare = (
  c: Context<AppEnv>,
  namespace: NamespacePlacement,
  options: { mayAdopt: boolean },
) => Promise<NamespaceApply | undefined>;

/**
 * Extension points of the namespace placement routes, for the cluster side
 * (creating/deleting the namespace in its cluster through the tunnel).
 * `preparing` hooks run before the placement is recorded and may refuse it;
 * what they return runs right after it is recorded (and may undo it by
 * failing). `created` hooks run after that, `deleted` hooks after a
 * placement is removed; a hook that throws fails the request with its error.
 */
export const namespaceHooks: {
  preparing: NamespacePrepare[];
  created: NamespaceHook[];
  deleted: NamespaceHook[];
} = {
  preparing: [],
  created: [],
  deleted: [],
};

/** Refusals of a placement, shared by the route (edge records) and the cluster side. */
export const placementRefused = {
  notGranted: (cluster: string, workspace: string) =>
    new ApiError(400, `Cluster "${cluster}" is not granted to workspace "${workspace}".`, {
      code: 'cluster_not_granted',
      fields: [{ path: 'cluster', message: 'not one of the workspace clusters' }],
    }),
  reserved: (name: string) =>
    new ApiError(409, `Namespace "${name}" is reserved for the cluster and its platform.`, {
      code: 'namespace_reserved',
    }),
  ownedByOther: (name: string) =>
    new ApiError(409, `Namespace "${name}" belongs to another workspace.`, {
      code: 'namespace_owned_by_other_workspace',
    }),
  exists: (name: string) =>
    new ApiError(
      409,
      `Namespace "${name}" already exists in the cluster: only a platform or cluster admin may adopt it.`,
      { code: 'namespace_exists' },
    ),
};
