import { createDb } from '../../db/client';
import { clustersByName } from '../../db/queries/alerts';
import { meteringPayloadSchema } from '../../protocol/metering-samples';
import type { BatchAckFrame, BatchFrame } from '../../protocol/tunnel';
import type { AlertingEnv } from '../alerting/alert-groups';
import { routeAndStore } from '../alerting/intake';
import { normalizeAlerts, postAlertsBody } from '../alerting/intake-schema';
import type { MeteringStoreBinding } from '../metering/metering-store';
import { meteringStoreOf } from '../metering/store-names';

/** What became of one spooled batch. */
export type BatchOutcome =
  | { ok: true; ack: BatchAckFrame; duplicate?: boolean }
  /** Refused for good: ack it as rejected (so the agent drops it) and report why. */
  | { ok: false; ack: BatchAckFrame; problem: string };

function issueText(issues: { path: PropertyKey[]; message: string }[]): string {
  const issue = issues[0];
  const where = issue?.path.map(String).join('.') || '(payload)';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

const rejected = (frame: BatchFrame, problem: string): BatchOutcome => ({
  ok: false,
  problem,
  ack: { type: 'batch-ack', seq: frame.seq, kind: frame.kind, rejected: problem.slice(0, 1024) },
});

/** The cluster a tunnel serves: its name, and its immutable id when the tunnel knows it. */
export interface TunnelCluster {
  /** The tunnel object's name (`ctx.id.name`), which is the cluster's id. */
  id: string | undefined;
  name: string;
}

/** The cluster's id, looked up by name only when the tunnel could not tell it. */
async function clusterIdOf(
  env: AlertingEnv & MeteringStoreBinding,
  cluster: TunnelCluster,
): Promise<string | undefined> {
  if (cluster.id) return cluster.id;
  return (await clustersByName(createDb(env.DB), [cluster.name]))[0]?.id;
}

/**
 * Hands one spooled batch of an agent to where its kind belongs: metering
 * windows to the cluster's MeteringStore (idempotent by agent and seq),
 * alerts from the in-cluster Alertmanager to alert routing, always labelled
 * with this cluster. Resolves once the
 * receiver committed, so the caller acks only then; throws when it could
 * not (the agent sends the batch again).
 */
export async function ingestBatch(
  env: AlertingEnv & MeteringStoreBinding,
  cluster: TunnelCluster,
  socketAgentId: string,
  frame: BatchFrame,
  now = Date.now(),
): Promise<BatchOutcome> {
  const ack: BatchAckFrame = { type: 'batch-ack', seq: frame.seq, kind: frame.kind };
  const agentId = frame.agentId ?? socketAgentId;
  const clusterName = cluster.name;
  switch (frame.kind) {
    case 'metering': {
      const parsed = meteringPayloadSchema.safeParse(frame.payload);
      if (!parsed.success)
        return rejected(frame, `invalid metering batch: ${issueText(parsed.error.issues)}`);
      if (parsed.data.windowEnd <= parsed.data.windowStart)
        return rejected(frame, 'invalid metering batch: windowEnd must be after windowStart');
      // Keyed by the cluster's id: a cluster re-registered under this name starts a new store.
      const clusterId = await clusterIdOf(env, cluster);
      if (!clusterId) throw new Error(`cluster "${clusterName}" is not registered`);
      const { duplicate } = await meteringStoreOf(env, clusterId).ingest(
        agentId,
        frame.seq,
        parsed.data,
      );
      return { ok: true, ack, duplicate };
    }
    case 'alerts': {
      const parsed = postAlertsBody.safeParse(frame.payload);
      if (!parsed.success)
        return rejected(frame, `invalid alerts batch: ${issueText(parsed.error.issues)}`);
      const alerts = normalizeAlerts(parsed.data, now);
      // The tunnel authenticates one cluster: its agents speak for it alone. A
      // different `cluster` label is kept as `exported_cluster` (Prometheus'
      // honor_labels convention), never trusted to route into another tenant.
      for (const alert of alerts) {
        const claimed = alert.labels.cluster;
        if (claimed !== undefined && claimed !== clusterName)
          alert.labels.exported_cluster = claimed;
        alert.labels.cluster = clusterName;
      }
      if (alerts.length > 0) await routeAndStore(env, createDb(env.DB), alerts, now);
      return { ok: true, ack };
    }
    default:
      return rejected(frame, `unknown batch kind "${frame.kind.slice(0, 64)}"`);
  }
}
