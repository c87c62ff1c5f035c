import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { allClusters, allReceivers, type ReceiverRow } from '../../db/queries/alerts';
import { namespacesOfWorkspaces, workspaceNames } from '../../db/queries/am-routing';
import type { LabelMatcher } from '../../db/schema/notification-receivers';
import { can, platformScope } from '../iam/authorize';
import { listableOwners } from '../notify/owners';
import { type InhibitRule, inhibitRulesIn } from './muting';

/**
 * The receiver of the routing tree's root: alerts none of the caller's
 * receivers take land here, and nothing is sent. Receiver names are DNS
 * labels, so this one can never clash with a tenant's.
 */
export const UNROUTED = '(none)';

/** A receiver the caller may see, under a name unique among them. */
export interface TenantReceiver {
  row: ReceiverRow;
  /** The receiver's own name, or `name@<owner>` when another visible owner uses the same name. */
  name: string;
}

/**
 * Where an owner's receivers get their alerts from, as label matchers: a
 * cluster's receivers the alerts labelled with that cluster, a workspace's
 * receivers the alerts of its namespaces in one cluster (one branch per
 * cluster it has namespaces in).
 */
export interface ScopeBranch {
  matchers: LabelMatcher[];
  receivers: TenantReceiver[];
}

/** The alert routing a caller may see: what GET /api/v2/status renders as Alertmanager YAML. */
export interface TenantRouting {
  receivers: TenantReceiver[];
  /** Platform receivers: every alert, narrowed by their own matchers. */
  platform: TenantReceiver[];
  branches: ScopeBranch[];
  /** Only for callers who may list the platform's inhibition rules. */
  inhibitRules: InhibitRule[];
}

const equal = (name: string, value: string): LabelMatcher => ({ name, op: '=', value });

/** Go's regexp.QuoteMeta: a namespace name as a literal inside a regex matcher. */
const quoteMeta = (s: string) => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

/** `namespace="a"` for one namespace, `namespace=~"a|b"` for several. */
const namespaceMatcher = (names: string[]): LabelMatcher =>
  names.length === 1
    ? equal('namespace', names[0] ?? '')
    : { name: 'namespace', op: '=~', value: names.map(quoteMeta).join('|') };

function uniqueNames(rows: ReceiverRow[], ownerLabel: (owner: string) => string): TenantReceiver[] {
  const count = new Map<string, number>();
  for (const r of rows) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  return rows.map((row) => ({
    row,
    name: (count.get(row.name) ?? 0) > 1 ? `${row.name}@${ownerLabel(row.owner)}` : row.name,
  }));
}

/**
 * The receivers the caller may list (the same owners as
 * GET /api/v1/notification/receivers) arranged as Alertmanager routes:
 * platform receivers at the top, then per cluster and per (workspace,
 * cluster) a branch whose matchers say which alerts that owner's receivers
 * may get (functions/alerting/routing.ts decides the same at intake).
 */
export async function loadTenantRouting(
  db: Database,
  principal: Principal,
): Promise<TenantRouting> {
  const owners = listableOwners(principal, 'receivers');
  const mayListInhibitRules = can(principal, 'list', 'inhibitrules', platformScope);
  const [allRows, clusters, inhibitRules] = await Promise.all([
    allReceivers(db),
    allClusters(db),
    mayListInhibitRules ? inhibitRulesIn(db) : Promise.resolve([]),
  ]);
  const rows = allRows.filter((r) => !owners || owners.includes(r.owner));
  const workspaceIds = [
    ...new Set(rows.filter((r) => r.owner.startsWith('workspace:')).map((r) => idOf(r.owner))),
  ];
  const [workspaces, placed] = await Promise.all([
    workspaceNames(db, workspaceIds),
    namespacesOfWorkspaces(db, workspaceIds),
  ]);
  const clusterName = new Map(clusters.map((c) => [c.id, c.name]));
  const workspaceName = new Map(workspaces.map((w) => [w.id, w.name]));
  const ownerLabel = (owner: string) => {
    if (owner === 'platform') return 'platform';
    const id = idOf(owner);
    return owner.startsWith('cluster:')
      ? `cluster/${clusterName.get(id) ?? id}`
      : `workspace/${workspaceName.get(id) ?? id}`;
  };
  const receivers = uniqueNames(rows, ownerLabel).sort((a, b) => a.name.localeCompare(b.name));
  const ownedBy = (owner: string) => receivers.filter((r) => r.row.owner === owner);

  const branches: ScopeBranch[] = [];
  for (const cluster of clusters) {
    const mine = ownedBy(`cluster:${cluster.id}`);
    if (mine.length) branches.push({ matchers: [equal('cluster', cluster.name)], receivers: mine });
  }
  const byWorkspaceName = [...workspaceIds].sort((a, b) =>
    (workspaceName.get(a) ?? a).localeCompare(workspaceName.get(b) ?? b),
  );
  for (const workspaceId of byWorkspaceName) {
    const mine = ownedBy(`workspace:${workspaceId}`);
    const perCluster = new Map<string, string[]>();
    for (const p of placed.filter((n) => n.workspaceId === workspaceId))
      perCluster.set(p.clusterName, [...(perCluster.get(p.clusterName) ?? []), p.namespace]);
    // A workspace without namespaces gets no alerts: its receivers are defined but on no route.
    for (const [cluster, names] of perCluster)
      branches.push({
        matchers: [equal('cluster', cluster), namespaceMatcher(names)],
        receivers: mine,
      });
  }
  return { receivers, platform: ownedBy('platform'), branches, inhibitRules };
}

const idOf = (owner: string) => owner.slice(owner.indexOf(':') + 1);
