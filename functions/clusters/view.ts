import type { ClusterRecord } from '../../db/queries/clusters';
import type { Env } from '../env';
import type { TunnelStatus } from '../tunnel/cluster-tunnel';
import { tunnelOf } from './tunnel-stub';

/** A cluster as the API shows it: the D1 record joined with its tunnel's live status. */
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

export async function loadClusterView(env: Env, record: ClusterRecord) {
  return clusterView(record, await tunnelOf(env, record.id).status());
}
