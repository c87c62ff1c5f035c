import type { Context } from 'hono';
import type { AppEnv } from '../env';

export interface NamespacePlacement {
  workspace: string;
  cluster: string;
  name: string;
}

export type NamespaceHook = (c: Context<AppEnv>, namespace: NamespacePlacement) => Promise<void>;

/**
 * Extension points of the namespace placement routes, for the cluster side
 * (creating/deleting the namespace in its cluster through the tunnel).
 * `created` hooks run after the placement is recorded, `deleted` hooks after
 * it is removed; a hook that throws fails the request with its error.
 */
export const namespaceHooks: { created: NamespaceHook[]; deleted: NamespaceHook[] } = {
  created: [],
  deleted: [],
};
