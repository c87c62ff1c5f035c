/**
 * The tunnel's alerting-rule frames (issue #15), shared by the edge's rules
 * feature (functions/rules/) and the agent's evaluator (agents/rules/).
 * zod only: both runtimes load this module.
 *
 * Model: the edge compiles, per cluster, every rule that applies there
 * (built-in rules with the cluster's settings, fleet rules whose selector
 * matches, cluster rules, namespace rules already scoped to their
 * namespace) into groups, and sends them whole as `rules-sync` on every
 * hello and whenever the set changes (`hash` is over the content, so a
 * repeat is recognised). The agent's leader evaluates each group every
 * `intervalSeconds` against the cluster's Prometheus with Prometheus'
 * semantics, sends firing and resolved alerts through the durable batch
 * path (kind `alerts`, an Alertmanager webhook payload), and reports each
 * rule's last evaluation in `rules-health`.
 */
import { z } from 'zod';

export const ruleSeverities = ['critical', 'warning', 'info'] as const;
export type RuleSeverity = (typeof ruleSeverities)[number];

/** Where a rule was defined; namespace rules are evaluated scoped to one namespace. */
export const ruleLevels = ['builtin', 'fleet', 'cluster', 'namespace'] as const;
export type RuleLevel = (typeof ruleLevels)[number];

export const ruleHealths = ['ok', 'error', 'unavailable', 'unknown'] as const;
export type RuleHealth = (typeof ruleHealths)[number];

/** Prometheus' alert states; `inactive` is a rule with no active alert. */
export const alertStates = ['pending', 'firing'] as const;
export type AlertState = (typeof alertStates)[number];

/** Bytes of one PromQL expression (the edge refuses longer ones at the API). */
export const MAX_EXPR_BYTES = 16 * 1024;
/** Rules one cluster may evaluate (built-in + fleet + cluster + namespace). */
export const MAX_RULES_PER_CLUSTER = 5_000;
/** Active alerts one rule may hold; more are counted, not kept (Prometheus' `limit`). */
export const MAX_ALERTS_PER_RULE = 1_000;

const labelName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/);
const labelSet = z.record(labelName, z.string().max(4096));
const annotationSet = z.record(labelName, z.string().max(16 * 1024));

/** One alerting rule as the agent evaluates it. */
export const evaluatedRule = z.object({
  /** Stable across edits: `builtin:<name>` for built-ins, the edge's row id otherwise. */
  id: z.string().min(1).max(128),
  /** The alert's `alertname`. */
  name: z.string().min(1).max(253),
  level: z.enum(ruleLevels),
  /** PromQL as the agent sends it to Prometheus (namespace rules: already scoped). */
  expr: z.string().min(1).max(MAX_EXPR_BYTES),
  forSeconds: z
    .number()
    .int()
    .nonnegative()
    .max(7 * 86_400),
  keepFiringForSeconds: z
    .number()
    .int()
    .nonnegative()
    .max(7 * 86_400),
  severity: z.enum(ruleSeverities),
  /** Added to every alert of the rule (after the series' own labels, Prometheus' order). */
  labels: labelSet,
  /** Templates over `$labels`, `$value` and `$externalLabels`, expanded per alert. */
  annotations: annotationSet,
  /**
   * Namespace rules only: every alert carries `namespace=<this>` whatever
   * the series or the rule's labels say, so a `label_replace` cannot route
   * an alert into another tenant's namespace.
   */
  namespace: z.string().min(1).max(63).optional(),
  /** The workspace that owns a namespace rule (set as the `workspace` label, like namespace). */
  workspace: z.string().min(1).max(253).optional(),
  /**
   * Metric names the expression selects. When Prometheus has no series of
   * one of them the rule's health is `unavailable` naming it, never a
   * silent green.
   */
  metrics: z.array(z.string().min(1).max(253)).max(64),
});

export const ruleGroup = z.object({
  name: z.string().min(1).max(253),
  intervalSeconds: z.number().int().min(10).max(3_600),
  rules: z.array(evaluatedRule).max(MAX_RULES_PER_CLUSTER),
});

/** Edge → agent: every rule this cluster evaluates, whole. */
export const rulesSyncFrame = z.object({
  type: z.literal('rules-sync'),
  hash: z.string().min(1).max(128),
  groups: z.array(ruleGroup).max(MAX_RULES_PER_CLUSTER),
});

/** One active alert of a rule, as Prometheus' /api/v1/rules shows it. */
export const activeAlert = z.object({
  labels: z.record(z.string().max(128), z.string().max(4096)),
  annotations: z.record(z.string().max(128), z.string().max(16 * 1024)),
  state: z.enum(alertStates),
  /** ISO time the condition was first seen (the `for` clock). */
  activeAt: z.string().max(64),
  /** The sample value that made it active, as Prometheus formats it. */
  value: z.string().max(64),
});

/** One rule's last evaluation. */
export const ruleEvaluation = z.object({
  id: z.string().min(1).max(128),
  health: z.enum(ruleHealths),
  /** Prometheus' error, or for `unavailable` the metrics it lacks. */
  lastError: z.string().max(4096).optional(),
  missingMetrics: z.array(z.string().max(253)).max(64).optional(),
  lastEvaluation: z.string().max(64),
  evaluationMs: z.number().nonnegative(),
  /** Series the expression returned. */
  samples: z.number().int().nonnegative(),
  state: z.enum(['inactive', 'pending', 'firing']),
  alerts: z.array(activeAlert).max(100),
  /** Active alerts beyond the ones listed. */
  alertsOmitted: z.number().int().nonnegative().optional(),
});

/** Agent (leader) → edge: the last evaluation of every rule of `hash`. */
export const rulesHealthFrame = z.object({
  type: z.literal('rules-health'),
  hash: z.string().min(1).max(128),
  rules: z.array(ruleEvaluation).max(MAX_RULES_PER_CLUSTER),
});

export type EvaluatedRule = z.infer<typeof evaluatedRule>;
export type RuleGroup = z.infer<typeof ruleGroup>;
export type RulesSyncFrame = z.infer<typeof rulesSyncFrame>;
export type ActiveAlert = z.infer<typeof activeAlert>;
export type RuleEvaluation = z.infer<typeof ruleEvaluation>;
export type RulesHealthFrame = z.infer<typeof rulesHealthFrame>;

/** Labels the evaluator sets on every alert it sends (after the rule's own). */
export const RULE_ALERT_LABELS = {
  alertname: 'alertname',
  severity: 'severity',
  namespace: 'namespace',
  workspace: 'workspace',
  /** Which rule fired: `builtin:<name>` or the edge's rule id (lets the edge link alert ↔ rule). */
  ruleId: 'edgetower_rule_id',
  ruleLevel: 'edgetower_rule_level',
} as const;
