import type { Context } from 'hono';
import { clusterByName, placementIdIn } from '../../db/queries/clusters';
import { deleteNamespace } from '../../db/queries/namespaces';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { type NamespacePlacement, namespaceHooks } from '../iam/namespace-hooks';
import { WORKSPACE_LABEL } from '../tunnel/inventory';
import type { Impersonation } from '../tunnel/protocol';
import { tunnelSettings } from '../tunnel/settings';
import { proxyThroughTunnel, tunnelOf } from './tunnel-stub';

const jsonBody = (value: unknown) => new Response(JSON.stringify(value)).body;

/**
 * The edge already decided the caller may create this namespace (workspace
 * roles); the cluster gets the request with the admin group, under the
 * caller's name so the cluster's audit log says who asked.
 */
function edgeDecided(c: Context<AppEnv>): Impersonation {
  return { user: c.get('principal').username, groups: [tunnelSettings(c.env).kubeAdminGroup] };
}

async function kube(
  c: Context<AppEnv>,
  clusterId: string,
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  contentType: string,
  body?: unknown,
): Promise<Response> {
  return proxyThroughTunnel(
    c.env,
    clusterId,
    {
      target: 'kube',
      method,
      path,
      headers: [
        ['accept', 'application/json'],
        ['content-type', contentType],
      ],
      impersonate: edgeDecided(c),
    },
    body === undefined ? null : jsonBody(body),
  );
}

/**
 * Creates the namespace, labelled with its workspace, in the cluster (an
 * existing one is adopted by adding the label). A cluster whose agent was
 * never installed is skipped: there is nothing to talk to yet. If the
 * cluster cannot be reached or refuses, the placement is undone and the
 * request fails, so the two never disagree.
 */
async function createInCluster(c: Context<AppEnv>, placement: NamespacePlacement): Promise<void> {
  const db = c.get('db');
  const cluster = await clusterByName(db, placement.cluster);
  if (!cluster) return;
  if ((await tunnelOf(c.env, cluster.id).status()).status === 'pending') return;
  const labels = { [WORKSPACE_LABEL]: placement.workspace };
  try {
    const created = await kube(c, cluster.id, 'POST', '/api/v1/namespaces', 'application/json', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: placement.name, labels },
    });
    await created.body?.cancel();
    if (created.status === 409) {
      const adopted = await kube(
        c,
        cluster.id,
        'PATCH',
        `/api/v1/namespaces/${placement.name}`,
        'application/merge-patch+json',
        { metadata: { labels } },
      );
      await adopted.body?.cancel();
      if (!adopted.ok) throw clusterRefused(adopted.status);
    } else if (!created.ok) throw clusterRefused(created.status);
  } catch (error) {
    const id = await placementIdIn(db, cluster.id, placement.name);
    if (id) await deleteNamespace(db, id);
    throw error;
  }
}

const clusterRefused = (status: number) =>
  new ApiError(502, `The cluster refused to create the namespace (${status}).`, {
    code: 'cluster_refused',
  });

/** Deletes the namespace in the cluster; one already gone is fine, an unreachable cluster is skipped. */
async function deleteInCluster(c: Context<AppEnv>, placement: NamespacePlacement): Promise<void> {
  const cluster = await clusterByName(c.get('db'), placement.cluster);
  if (!cluster) return;
  if ((await tunnelOf(c.env, cluster.id).status()).status === 'pending') return;
  let deleted: Response;
  try {
    deleted = await kube(
      c,
      cluster.id,
      'DELETE',
      `/api/v1/namespaces/${placement.name}`,
      'application/json',
    );
  } catch (error) {
    // The placement is already gone; an unreachable cluster keeps its namespace
    // (unlabelled for edgetower's purposes) rather than failing a done deletion.
    if (error instanceof ApiError && error.status === 503) {
      console.warn(
        JSON.stringify({
          level: 'warn',
          msg: 'namespace left in unreachable cluster',
          ...placement,
        }),
      );
      return;
    }
    throw error;
  }
  await deleted.body?.cancel();
  if (!deleted.ok && deleted.status !== 404)
    throw new ApiError(502, `The cluster refused to delete the namespace (${deleted.status}).`, {
      code: 'cluster_refused',
    });
}

let registered = false;

/** Plugs namespace creation/deletion in clusters into the placement routes (once). */
export function registerNamespaceSync(): void {
  if (registered) return;
  registered = true;
  namespaceHooks.created.push(createInCluster);
  namespaceHooks.deleted.push(deleteInCluster);
}
