import type { Context } from 'hono';
import {
  clusterIdByName,
  clustersOfWorkspace,
  deleteUsageOutsideSpan,
  findQuota,
} from '../../db/queries/quotas';
import { findWorkspace } from '../../db/queries/workspaces';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';
import { type NamespacePlacement, namespaceHooks } from '../iam/namespace-hooks';
import { log } from '../log';

/**
 * A namespace placement came or went: the workspace may now span one
 * cluster more or less. That cluster's agents get the new quota list, and
 * every cluster of the workspace a new `usedElsewhere` (a cluster left
 * behind no longer counts). Best effort: the placement is done either way,
 * and the next HELLO carries the same state.
 */
async function placementChanged(c: Context<AppEnv>, placement: NamespacePlacement): Promise<void> {
  const db = c.get('db');
  const workspace = await findWorkspace(db, placement.workspace);
  const quota = workspace && (await findQuota(db, workspace.id));
  if (!workspace || !quota || Object.keys(quota.hard).length === 0) return;
  await deleteUsageOutsideSpan(db, workspace.id);
  const ids = new Set((await clustersOfWorkspace(db, workspace.id)).map((cl) => cl.id));
  const changed = await clusterIdByName(db, placement.cluster);
  if (changed) ids.add(changed);
  const pushed = await Promise.allSettled([...ids].map((id) => tunnelOf(c.env, id).pushQuotas()));
  for (const outcome of pushed)
    if (outcome.status === 'rejected')
      log.warn('quota push failed', { error: String(outcome.reason) });
}

let registered = false;

/** Plugs quota pushes into the namespace placement routes (once). */
export function registerQuotaNamespaceHooks(): void {
  if (registered) return;
  registered = true;
  namespaceHooks.created.push(placementChanged);
  namespaceHooks.deleted.push(placementChanged);
}
