import type { Context } from 'hono';
import { clusterByName, placementIdIn } from '../../db/queries/clusters';
import { deleteNamespace } from '../../db/queries/namespaces';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import {
  type NamespaceApply,
  type NamespacePlacement,
  namespaceHooks,
  placementRefused,
} from '../iam/namespace-hooks';
import { WORKSPACE_LABEL } from '../tunnel/inventory';
import type { Impersonation } from '../tunnel/protocol';
import { NAMESPACE_PLACEMENT_GROUP } from './agent-manifest';
import { proxyThroughTunnel, tunnelOf } from './tunnel-stub';

const jsonBody = (value: unknown) => new Response(JSON.stringify(value)).body;

/**
 * The edge already decided the caller may place this namespace (workspace
 * roles, the cluster grant, no takeover); the cluster gets the request
 * under the caller's name (so its audit log says who asked) with the one
 * group the agent's manifest binds to namespaces get/create/patch/delete,
 * and nothing else: the cluster's RBAC is the backstop.
 */
function placementIdentity(c: Context<AppEnv>): Impersonation {
  return { user: c.get('principal').username, groups: [NAMESPACE_PLACEMENT_GROUP] };
}

async function kube(
  c: Context<AppEnv>,
  clusterId: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: { contentType: string; value: unknown },
): Promise<Response> {
  const headers: [string, string][] = [['accept', 'application/json']];
  if (body) headers.push(['content-type', body.contentType]);
  return proxyThroughTunnel(
    c.env,
    clusterId,
    { target: 'kube', method, path, headers, impersonate: placementIdentity(c) },
    body === undefined ? null : jsonBody(body.value),
  );
}

interface NamespaceObject {
  metadata?: { labels?: Record<string, string>; resourceVersion?: string };
}

const clusterRefused = (status: number) =>
  new ApiError(502, `The cluster refused to create the namespace (${status}).`, {
    code: 'cluster_refused',
  });

/** Whether the agent's inventory shows the namespace labelled with another workspace. */
async function labelledElsewhereInInventory(
  c: Context<AppEnv>,
  clusterId: string,
  placement: NamespacePlacement,
): Promise<boolean> {
  const seen = await tunnelOf(c.env, clusterId).listNamespaces({
    limit: 1,
    only: { workspaces: [], names: [placement.name] },
  });
  return seen.items.some(
    (ns) => ns.name === placement.name && !!ns.workspace && ns.workspace !== placement.workspace,
  );
}

/**
 * Reads the namespace in the cluster before anything is recorded and
 * refuses a takeover: labelled with another workspace (in the cluster or in
 * the agent's inventory), or existing unlabelled when the caller may not
 * adopt. Returns the write to make once the placement is recorded. A
 * cluster whose agent was never installed is skipped: nothing to talk to yet.
 */
async function prepareInCluster(
  c: Context<AppEnv>,
  placement: NamespacePlacement,
  options: { mayAdopt: boolean },
): Promise<NamespaceApply | undefined> {
  const cluster = await clusterByName(c.get('db'), placement.cluster);
  if (!cluster) return undefined;
  if ((await tunnelOf(c.env, cluster.id).status()).status === 'pending') return undefined;
  if (await labelledElsewhereInInventory(c, cluster.id, placement))
    throw placementRefused.ownedByOther(placement.name);
  const read = await kube(c, cluster.id, 'GET', `/api/v1/namespaces/${placement.name}`);
  if (read.status === 404) {
    await read.body?.cancel();
    return () => applyInCluster(c, cluster.id, placement, undefined);
  }
  if (!read.ok) {
    await read.body?.cancel();
    throw clusterRefused(read.status);
  }
  const existing = (await read.json()) as NamespaceObject;
  const owner = existing.metadata?.labels?.[WORKSPACE_LABEL];
  if (owner && owner !== placement.workspace) throw placementRefused.ownedByOther(placement.name);
  // Already labelled with this workspace (placed before, then unplaced): it is ours to take back.
  if (!owner && !options.mayAdopt) throw placementRefused.exists(placement.name);
  return () => applyInCluster(c, cluster.id, placement, existing.metadata?.resourceVersion ?? '');
}

/**
 * Creates the namespace labelled with its workspace, or adopts the existing
 * one by labelling it only if it has not changed since it was read
 * (`resourceVersion`). If the cluster cannot be reached or refuses, the
 * placement is undone and the request fails, so the two never disagree.
 */
async function applyInCluster(
  c: Context<AppEnv>,
  clusterId: string,
  placement: NamespacePlacement,
  adoptVersion: string | undefined,
): Promise<void> {
  const labels = { [WORKSPACE_LABEL]: placement.workspace };
  try {
    if (adoptVersion === undefined) {
      const created = await kube(c, clusterId, 'POST', '/api/v1/namespaces', {
        contentType: 'application/json',
        value: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: placement.name, labels } },
      });
      await created.body?.cancel();
      // Created by someone else since it was read: never adopted blindly.
      if (created.status === 409) throw placementRefused.exists(placement.name);
      if (!created.ok) throw clusterRefused(created.status);
    } else {
      const metadata = adoptVersion ? { resourceVersion: adoptVersion, labels } : { labels };
      const adopted = await kube(c, clusterId, 'PATCH', `/api/v1/namespaces/${placement.name}`, {
        contentType: 'application/merge-patch+json',
        value: { metadata },
      });
      await adopted.body?.cancel();
      if (adopted.status === 409)
        throw new ApiError(409, `Namespace "${placement.name}" changed in the cluster; retry.`, {
          code: 'namespace_changed',
        });
      if (!adopted.ok) throw clusterRefused(adopted.status);
    }
  } catch (error) {
    const db = c.get('db');
    const id = await placementIdIn(db, clusterId, placement.name);
    if (id) await deleteNamespace(db, id);
    throw error;
  }
}

const leftInCluster = (msg: string, placement: NamespacePlacement) =>
  console.warn(JSON.stringify({ level: 'warn', msg, ...placement }));

/**
 * Deletes the namespace in the cluster, only if it carries this workspace's
 * label (a placement recorded while the cluster was pending was never
 * checked against the cluster, and must not delete someone else's
 * namespace), and only as it was read (`resourceVersion` precondition).
 * One already gone is fine; an unreachable cluster keeps its namespace.
 */
async function deleteInCluster(c: Context<AppEnv>, placement: NamespacePlacement): Promise<void> {
  const cluster = await clusterByName(c.get('db'), placement.cluster);
  if (!cluster) return;
  if ((await tunnelOf(c.env, cluster.id).status()).status === 'pending') return;
  const path = `/api/v1/namespaces/${placement.name}`;
  let deleted: Response;
  try {
    const read = await kube(c, cluster.id, 'GET', path);
    if (read.status === 404) {
      await read.body?.cancel();
      return;
    }
    if (!read.ok) {
      await read.body?.cancel();
      throw refusedDeletion(read.status);
    }
    const existing = (await read.json()) as NamespaceObject;
    if (existing.metadata?.labels?.[WORKSPACE_LABEL] !== placement.workspace) {
      leftInCluster('namespace not labelled with the workspace left in cluster', placement);
      return;
    }
    const resourceVersion = existing.metadata?.resourceVersion;
    deleted = await kube(
      c,
      cluster.id,
      'DELETE',
      path,
      resourceVersion
        ? {
            contentType: 'application/json',
            value: {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              preconditions: { resourceVersion },
            },
          }
        : undefined,
    );
  } catch (error) {
    // The placement is already gone; an unreachable cluster keeps its namespace
    // (unlabelled for edgetower's purposes) rather than failing a done deletion.
    if (error instanceof ApiError && error.status === 503) {
      leftInCluster('namespace left in unreachable cluster', placement);
      return;
    }
    throw error;
  }
  await deleted.body?.cancel();
  if (deleted.status === 409)
    leftInCluster('namespace changed since read left in cluster', placement);
  else if (!deleted.ok && deleted.status !== 404) throw refusedDeletion(deleted.status);
}

const refusedDeletion = (status: number) =>
  new ApiError(502, `The cluster refused to delete the namespace (${status}).`, {
    code: 'cluster_refused',
  });

let registered = false;

/** Plugs namespace creation/deletion in clusters into the placement routes (once). */
export function registerNamespaceSync(): void {
  if (registered) return;
  registered = true;
  namespaceHooks.preparing.push(prepareInCluster);
  namespaceHooks.deleted.push(deleteInCluster);
}
