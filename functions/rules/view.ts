import type { z } from '@hono/zod-openapi';
import type { Database } from '../../db/client';
import { type AlertRuleRow, clusterLabels } from '../../db/queries/alert-rules';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { Env } from '../env';
import { selectorMatches } from './compile';
import { formatDuration } from './duration';
import type { ruleEvaluationSchema, ruleSchema } from './schemas';
import type { StoredEvaluation } from './tunnel-feature';

export type RuleView = z.infer<typeof ruleSchema>;
export type EvaluationView = z.infer<typeof ruleEvaluationSchema>;

/** A rule's last evaluation in one cluster; `unknown` until its leader reported one. */
export function evaluationView(
  cluster: string,
  stored: StoredEvaluation | undefined,
): EvaluationView {
  if (!stored)
    return {
      cluster,
      health: 'unknown',
      lastError: null,
      missingMetrics: [],
      lastEvaluation: null,
      evaluationMs: null,
      samples: null,
      state: 'inactive',
      activeAlerts: 0,
    };
  return {
    cluster,
    health: stored.health,
    lastError: stored.lastError ?? null,
    missingMetrics: stored.missingMetrics ?? [],
    lastEvaluation: stored.lastEvaluation,
    evaluationMs: stored.evaluationMs,
    samples: stored.samples,
    state: stored.state,
    activeAlerts: stored.alerts.length + (stored.alertsOmitted ?? 0),
  };
}

export function ruleView(
  row: AlertRuleRow,
  names: { cluster: string | null; workspace: string | null },
  evaluations: EvaluationView[],
  orphaned = false,
): RuleView {
  return {
    name: row.name,
    level: row.level,
    cluster: names.cluster,
    workspace: names.workspace,
    namespace: row.namespace,
    clusterSelector: row.level === 'fleet' ? { matchLabels: row.clusterSelector ?? {} } : null,
    group: row.groupName,
    interval: formatDuration(row.intervalSeconds),
    expr: row.expr,
    for: formatDuration(row.forSeconds),
    keepFiringFor: formatDuration(row.keepFiringForSeconds),
    severity: row.severity,
    labels: row.labels,
    annotations: row.annotations,
    disabled: row.disabled,
    orphaned,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedBy: row.updatedBy,
    updatedAt: row.updatedAt.toISOString(),
    evaluations,
  };
}

/** The stored evaluations of rules `ids` in one cluster (an unreachable tunnel: none). */
export async function healthIn(
  env: Env,
  clusterId: string,
  ids: string[],
): Promise<Record<string, StoredEvaluation>> {
  if (ids.length === 0) return {};
  try {
    return await tunnelOf(env, clusterId).rulesHealth(ids);
  } catch {
    return {};
  }
}

/**
 * Each rule's evaluations: in its one cluster (cluster and namespace rules)
 * or in every cluster its selector matches (fleet rules).
 */
export async function evaluationsOf(
  env: Env,
  db: Database,
  rows: AlertRuleRow[],
  clusterName: string | null,
): Promise<Map<string, EvaluationView[]>> {
  const out = new Map<string, EvaluationView[]>(rows.map((r) => [r.id, []]));
  const fleet = rows.filter((r) => r.level === 'fleet');
  const scoped = rows.filter((r) => r.level !== 'fleet' && r.clusterId);
  const byCluster = new Map<string, { name: string; rows: AlertRuleRow[] }>();
  for (const row of scoped) {
    const entry = byCluster.get(row.clusterId as string) ?? { name: clusterName ?? '', rows: [] };
    entry.rows.push(row);
    byCluster.set(row.clusterId as string, entry);
  }
  if (fleet.length > 0)
    for (const cluster of await clusterLabels(db)) {
      const matching = fleet.filter((r) => selectorMatches(r.clusterSelector, cluster.labels));
      if (matching.length > 0) byCluster.set(cluster.id, { name: cluster.name, rows: matching });
    }
  await Promise.all(
    [...byCluster.entries()].map(async ([clusterId, { name, rows: members }]) => {
      const health = await healthIn(
        env,
        clusterId,
        members.filter((m) => !m.disabled).map((m) => m.id),
      );
      for (const m of members) out.get(m.id)?.push(evaluationView(name, health[m.id]));
    }),
  );
  return out;
}
