import type { ClusterRecord } from '../../db/queries/clusters';
import type { Env } from '../env';
import type { TunnelStatus } from '../tunnel/cluster-tunnel';
import { tunnelOf } from './tunnel-stub';

/** A cluster as the API shows it to cluster-wide readers: the D1 record joined with its tunnel's live status. */
export function clusterView(record: ClusterRecord, status: TunnelStatus) {
  return {
    name: record.name,
    description: record.description ?? null,
    labels: record.labels,
    status: status.status,
    agents: status.agents,
    lastSeen: status.lastSeen,
    kubernetesVersion: status.kubernetesVersion,
    platform: status.platform,
    nodes: status.nodes,
    namespaces: status.namespaces,
    connectedAgents: status.connectedAgents,
    degraded: status.degraded,
    joinTokenRotatedAt: record.joinTokenRotatedAt?.toISOString() ?? null,
    createdAt: record.createdAt.toISOString(),
  };
}

/**
 * What a tenant (a member of a workspace the cluster is granted to, or of a
 * namespace placed in it) sees: whether the cluster is up and how big it is;
 * nothing about its agents, labels or join token.
 */
export function clusterSummaryView(record: ClusterRecord, status: TunnelStatus) {
  return {
    name: record.name,
    status: status.status,
    kubernetesVersion: status.kubernetesVersion,
    nodes: status.nodes,
  };
}

export async function loadClusterView(env: Env, record: ClusterRecord) {
  return clusterView(record, await tunnelOf(env, record.id).status());
}

/** The full view for cluster-wide readers, the summary for tenants. */
export async function loadClusterViewFor(env: Env, record: ClusterRecord, clusterWide: boolean) {
  const status = await tunnelOf(env, record.id).status();
  return clusterWide ? clusterView(record, status) : clusterSummaryView(record, status);
}
