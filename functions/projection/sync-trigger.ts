import type { Context, MiddlewareHandler } from 'hono';
import type { Database } from '../../db/client';
import { clusterIdByName } from '../../db/queries/quotas';
import {
  clustersReachedByUser,
  clustersTouchingWorkspace,
  workspaceIdByName,
} from '../../db/queries/role-projection';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';

const readOnly = new Set(['GET', 'HEAD', 'OPTIONS']);
const workspacePath = /^\/api\/v1\/workspaces\/([^/]+)/;
const clusterPath = /^\/api\/v1\/clusters\/([^/]+)/;
const userPath = /^\/api\/v1\/users\/([^/]+)/;
const workspacesRoot = /^\/api\/v1\/workspaces\/?$/;

const decoded = (segment: string | undefined) => {
  try {
    return segment === undefined ? undefined : decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

async function clustersOfWorkspaceNamed(db: Database, name: string): Promise<string[]> {
  const id = await workspaceIdByName(db, name);
  return id ? clustersTouchingWorkspace(db, id) : [];
}

/**
 * The clusters whose projection a mutation of `path` may change, in two
 * looks: `before` runs ahead of the handler (a revoked grant, a deleted
 * workspace or user is gone after it), `after` once it succeeded.
 * - /workspaces/<ws>/…: everything workspace-scoped (members, groups and
 *   their renames, custom roles, namespace placements and their members,
 *   grants, the workspace's deletion): the clusters granted to it or
 *   holding its namespaces, before and after.
 * - POST /workspaces: the new workspace's clusters (grants given at creation).
 * - /users/<name>: the clusters whose projection names that user (deletion,
 *   disabling), before and after.
 * - /clusters/<c>/…: that cluster (grants made from the cluster's side).
 * Anything else (alerts, metering, tokens, …) cannot change a projection.
 */
function affected(c: Context<AppEnv>, path: string) {
  const db = c.get('db');
  const workspace = decoded(workspacePath.exec(path)?.[1]);
  if (workspace !== undefined)
    return {
      before: () => clustersOfWorkspaceNamed(db, workspace),
      after: () => clustersOfWorkspaceNamed(db, workspace),
    };
  const user = decoded(userPath.exec(path)?.[1]);
  if (user !== undefined)
    return {
      before: () => clustersReachedByUser(db, user),
      after: () => clustersReachedByUser(db, user),
    };
  const cluster = decoded(clusterPath.exec(path)?.[1]);
  if (cluster !== undefined)
    return {
      before: async () => [],
      after: async () => {
        const id = await clusterIdByName(db, cluster);
        return id ? [id] : [];
      },
    };
  if (workspacesRoot.test(path) && c.req.method === 'POST')
    return {
      before: async () => [],
      after: async () => {
        const name = c.get('audit').name;
        return name ? clustersOfWorkspaceNamed(db, name) : [];
      },
    };
  return undefined;
}

/**
 * The one place role projection learns about changes: after every
 * successful mutating /api request that can change what a cluster's
 * RoleBindings should be, the clusters it touched recompute their
 * projection (ClusterTunnel.pushRoleProjection), which reaches the agents
 * only when its content hash changed. The work runs after the response
 * (waitUntil), and a failure is logged, never the request's: the next agent
 * hello carries the same state.
 */
export const projectionSync: MiddlewareHandler<AppEnv> = async function projectionSync(c, next) {
  const path = new URL(c.req.url).pathname;
  const scope = readOnly.has(c.req.method) ? undefined : affected(c, path);
  if (!scope) return next();
  const before = await scope.before().catch(() => [] as string[]);
  await next();
  if (c.res.status >= 400) return;
  const work = (async () => {
    const ids = new Set([...before, ...(await scope.after())]);
    const results = await Promise.allSettled(
      [...ids].map((id) => tunnelOf(c.env, id).pushRoleProjection()),
    );
    for (const result of results)
      if (result.status === 'rejected')
        console.warn(
          JSON.stringify({
            level: 'warn',
            msg: 'role projection push failed',
            error: String(result.reason),
          }),
        );
  })().catch((error: unknown) =>
    console.warn(
      JSON.stringify({ level: 'warn', msg: 'role projection push failed', error: String(error) }),
    ),
  );
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    await work; // no execution context (app.request in unit tests)
  }
};
