/**
 * What one cluster evaluates, compiled from D1 into the `rules-sync` frame:
 * built-ins (with the cluster's settings), fleet rules whose selector
 * matches the cluster's labels, the cluster's rules, and namespace rules
 * whose namespace is still placed in their workspace there, each scoped to
 * its namespace. Pure apart from `compileForCluster`'s reads.
 */
import type { Database } from '../../db/client';
import {
  type AlertRuleRow,
  type ClusterRuleRows,
  clusterLabelsById,
  type NamespaceRuleRow,
  rulesForCluster,
} from '../../db/queries/alert-rules';
import {
  type BuiltinRuleSettingRow,
  builtinSettingsOf,
} from '../../db/queries/builtin-rule-settings';
import { metricNames, parsePromql, scopeToNamespaces } from '../../lib/promql';
import {
  type EvaluatedRule,
  MAX_RULES_PER_CLUSTER,
  type RuleGroup,
  type RulesSyncFrame,
} from '../../protocol/rules';
import { log } from '../log';
import { builtinExpr, builtinRules } from './builtin/catalogue';

/** The group every built-in rule is evaluated in. */
export const BUILTIN_GROUP = 'edgetower-builtin';
const BUILTIN_INTERVAL_SECONDS = 60;
const MAX_METRICS = 64;

export interface CompileInput {
  cluster: { id: string; labels: Record<string, string> };
  settings: Map<string, BuiltinRuleSettingRow>;
  rows: ClusterRuleRows;
}

/** Whether every label of `selector` is on the cluster (an empty selector matches all). */
export function selectorMatches(
  selector: Record<string, string> | null,
  labels: Record<string, string>,
): boolean {
  return Object.entries(selector ?? {}).every(
    ([k, v]) => Object.hasOwn(labels, k) && labels[k] === v,
  );
}

/** A namespace rule applies only while its namespace is placed in its own workspace. */
export const isOrphaned = (row: NamespaceRuleRow): boolean =>
  row.placedIn === null || row.placedIn !== row.rule.workspaceId;

/** The group a rule row goes in: levels never share a group, namespaces neither. */
export function groupNameOf(rule: AlertRuleRow): string {
  if (rule.level === 'namespace') return `namespace/${rule.namespace}/${rule.groupName}`;
  return `${rule.level}/${rule.groupName}`;
}

function metricsOf(expr: string): string[] {
  const parsed = parsePromql(expr);
  return parsed.ok ? metricNames(expr, parsed.tree).slice(0, MAX_METRICS) : [];
}

function builtinEvaluated(settings: Map<string, BuiltinRuleSettingRow>): EvaluatedRule[] {
  const out: EvaluatedRule[] = [];
  for (const rule of builtinRules) {
    const setting = settings.get(rule.name);
    if (setting?.disabled) continue;
    const threshold = setting?.threshold == null ? undefined : Number(setting.threshold);
    const expr = builtinExpr(rule, threshold);
    out.push({
      id: `builtin:${rule.name}`,
      name: rule.name,
      level: 'builtin',
      expr,
      forSeconds: setting?.forSeconds ?? rule.forSeconds,
      keepFiringForSeconds: 0,
      severity: setting?.severity ?? rule.severity,
      labels: {},
      annotations: {
        summary: rule.summary,
        description: rule.description,
        runbook_url: rule.runbook,
      },
      metrics: metricsOf(expr),
    });
  }
  return out;
}

function rowEvaluated(rule: AlertRuleRow, workspace?: string | null): EvaluatedRule | undefined {
  let expr = rule.expr;
  if (rule.level === 'namespace') {
    // Checked at every write; scoped again here so no stored text is ever sent unscoped.
    const scoped = scopeToNamespaces(rule.expr, [rule.namespace ?? '']);
    if (!scoped.ok) {
      log.warn('namespace rule no longer scopes; left out', { rule: rule.id, code: scoped.code });
      return undefined;
    }
    expr = scoped.expr;
  }
  return {
    id: rule.id,
    name: rule.name,
    level: rule.level,
    expr,
    forSeconds: rule.forSeconds,
    keepFiringForSeconds: rule.keepFiringForSeconds,
    severity: rule.severity,
    labels: rule.labels,
    annotations: rule.annotations,
    ...(rule.level === 'namespace' && rule.namespace ? { namespace: rule.namespace } : {}),
    ...(rule.level === 'namespace' && workspace ? { workspace } : {}),
    metrics: metricsOf(expr),
  };
}

/** The cluster's rule groups, in a stable order (the hash depends on it). */
export function compileRules(input: CompileInput): RuleGroup[] {
  const groups = new Map<string, RuleGroup>();
  let count = 0;
  const add = (name: string, interval: number, rule: EvaluatedRule) => {
    if (count >= MAX_RULES_PER_CLUSTER) return;
    count++;
    const group = groups.get(name);
    if (group) {
      group.rules.push(rule);
      group.intervalSeconds = Math.min(group.intervalSeconds, interval);
    } else groups.set(name, { name, intervalSeconds: interval, rules: [rule] });
  };
  for (const rule of builtinEvaluated(input.settings))
    add(BUILTIN_GROUP, BUILTIN_INTERVAL_SECONDS, rule);
  const rows: { rule: AlertRuleRow; workspace?: string | null }[] = [
    ...input.rows.fleet
      .filter((r) => selectorMatches(r.clusterSelector, input.cluster.labels))
      .map((rule) => ({ rule })),
    ...input.rows.cluster.map((rule) => ({ rule })),
    ...input.rows.namespace.filter((r) => !isOrphaned(r)),
  ];
  for (const { rule, workspace } of rows) {
    if (rule.disabled) continue;
    const evaluated = rowEvaluated(rule, workspace);
    if (evaluated) add(groupNameOf(rule), rule.intervalSeconds, evaluated);
  }
  if (count >= MAX_RULES_PER_CLUSTER)
    log.warn('cluster has more rules than it may evaluate', { cluster: input.cluster.id });
  return [...groups.values()];
}

/** Hex SHA-256 of the groups (what the agent and the health reports are keyed by). */
export async function rulesHash(groups: RuleGroup[]): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    new TextEncoder().encode(JSON.stringify(groups)),
  );
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Reads and compiles what a cluster evaluates now. */
export async function compileForCluster(
  db: Database,
  cluster: { id: string; labels: Record<string, string> },
): Promise<RulesSyncFrame> {
  const [settings, rows] = await Promise.all([
    builtinSettingsOf(db, cluster.id),
    rulesForCluster(db, cluster.id),
  ]);
  const groups = compileRules({ cluster, settings, rows });
  return { type: 'rules-sync', hash: await rulesHash(groups), groups };
}

/** The same, for the cluster of id `id` (undefined when there is none). */
export async function compileForClusterId(
  db: Database,
  id: string,
): Promise<RulesSyncFrame | undefined> {
  const cluster = await clusterLabelsById(db, id);
  return cluster ? compileForCluster(db, cluster) : undefined;
}
