import type { Context } from 'hono';
import type { Database } from '../../db/client';
import { auditEventInsert } from '../../db/queries/audit';
import { grantedClusters } from '../../db/queries/workspace-clusters';
import type { Principal } from '../auth/principal';
import { clusterAccess } from '../clusters/access';
import type { AppEnv } from '../env';
import { forbidden } from '../errors';
import { can } from './authorize';

/** A change of a workspace's granted clusters, resolved and allowed. */
export interface GrantPlan {
  add: { id: string; name: string }[];
  remove: { id: string; name: string }[];
}

/**
 * Whether the caller may grant or revoke this cluster: rights over the
 * cluster itself (platform-admin, or cluster-admin of it). Workspace roles
 * never reach cluster scope, so a workspace admin cannot grant her own
 * workspace a cluster.
 */
const mayGrant = (principal: Principal, clusterId: string) =>
  can(principal, 'update', 'clusters', { level: 'cluster', clusterId });

/**
 * Turns the wanted set of cluster names into grants to add and revoke. A
 * cluster the caller cannot see answers 404 exactly like one that does not
 * exist; one they see but hold no rights over is 403.
 */
export async function planGrants(
  db: Database,
  principal: Principal,
  workspaceId: string | undefined,
  wanted: string[],
): Promise<GrantPlan> {
  const current = workspaceId ? await grantedClusters(db, workspaceId) : [];
  const currentNames = new Set(current.map((c) => c.name));
  const wantedNames = new Set(wanted);
  const plan: GrantPlan = { add: [], remove: [] };
  for (const name of [...wantedNames].sort()) {
    if (currentNames.has(name)) continue;
    const { cluster } = await clusterAccess(db, principal, name);
    if (!mayGrant(principal, cluster.id))
      throw forbidden(`You may not grant cluster "${name}": that takes rights over the cluster.`);
    plan.add.push({ id: cluster.id, name: cluster.name });
  }
  for (const cluster of current) {
    if (wantedNames.has(cluster.name)) continue;
    if (!mayGrant(principal, cluster.id))
      throw forbidden(
        `You may not revoke cluster "${cluster.name}": that takes rights over the cluster.`,
      );
    plan.remove.push(cluster);
  }
  return plan;
}

/**
 * One audit event per granted or revoked cluster, beside the request's own
 * (a workspace update), so the cluster's side of the change is on record.
 */
export async function auditGrants(
  c: Context<AppEnv>,
  workspace: string,
  plan: GrantPlan,
): Promise<void> {
  const db = c.get('db');
  const base = {
    time: new Date(),
    user: c.get('principal').username,
    resource: 'workspaceclusters',
    workspace,
    namespace: null,
    outcome: 'success' as const,
    requestId: c.get('requestId'),
    sourceIp: c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null,
    userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
  };
  const events = [
    ...plan.add.map((cl) => ({
      ...base,
      verb: 'create',
      name: cl.name,
      cluster: cl.name,
      status: 201,
    })),
    ...plan.remove.map((cl) => ({
      ...base,
      verb: 'delete',
      name: cl.name,
      cluster: cl.name,
      status: 200,
    })),
  ].map((event) => auditEventInsert(db, event));
  const [first, ...rest] = events;
  if (first) await db.batch([first, ...rest]);
}
