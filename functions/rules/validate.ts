/**
 * A rule as written (API body or rule-file entry) into the fields stored:
 * durations read, PromQL parsed with Prometheus' grammar, namespace rules
 * scoped (refused when they name another namespace), reserved labels
 * refused. Every refusal is a 400 naming the field (and, for PromQL, the
 * line and column; for imports, the group and rule).
 */
import type { RuleFields } from '../../db/queries/alert-rules';
import { parsePromql, scopeToNamespaces } from '../../lib/promql';
import { badRequest } from '../errors';
import { parseDuration } from './duration';
import { type ProblemPlace, promqlProblem, RuleProblem } from './problems';
import type { RuleBody } from './schemas';

export type RuleLevel = 'fleet' | 'cluster' | 'namespace';

const MAX_FOR_SECONDS = 7 * 86_400;
const MIN_INTERVAL_SECONDS = 10;
const MAX_INTERVAL_SECONDS = 3_600;
export const DEFAULT_INTERVAL_SECONDS = 60;
export const DEFAULT_GROUP = 'default';

/** Labels the edge or the evaluator sets on every alert: no rule may set them. */
const reservedEverywhere = new Set(['alertname', 'severity', 'cluster']);
/** And, for namespace rules, the labels that say whose alert it is. */
const reservedInNamespace = new Set(['namespace', 'workspace']);

export function reservedLabel(name: string, level: RuleLevel): boolean {
  return (
    reservedEverywhere.has(name) ||
    name.startsWith('edgetower_') ||
    (level === 'namespace' && reservedInNamespace.has(name))
  );
}

function refuse(message: string, field: string, where: ProblemPlace): never {
  if (where.group === undefined) throw badRequest(message, [{ path: field, message }]);
  throw new RuleProblem(
    'validation_failed',
    `groups[${where.group}].rules[${where.rule}]: ${message}`,
    where,
    [{ path: field, message }],
  );
}

function seconds(
  text: string | undefined,
  field: string,
  where: ProblemPlace,
  bounds: { min: number; max: number },
  fallback: number,
): number {
  if (text === undefined) return fallback;
  const value = parseDuration(text);
  if (value === undefined)
    refuse(
      `${field} "${text.slice(0, 32)}" is not a Prometheus duration (like "5m" or "1h30m").`,
      field,
      where,
    );
  if (value < bounds.min || value > bounds.max)
    refuse(`${field} must be between ${bounds.min}s and ${bounds.max}s.`, field, where);
  return value;
}

/** Checks the PromQL; namespace rules must stay inside `namespace`. */
export function checkExpr(
  expr: string,
  level: RuleLevel,
  namespace: string | undefined,
  where: ProblemPlace = {},
  field = 'expr',
): void {
  if (level === 'namespace') {
    const scoped = scopeToNamespaces(expr, [namespace ?? '']);
    if (!scoped.ok) throw promqlProblem(scoped.code, scoped.error, field, where);
    return;
  }
  const parsed = parsePromql(expr);
  if (!parsed.ok) throw promqlProblem('invalid_promql', parsed.error, field, where);
}

/** The stored fields of `body` at `level` (namespace rules: in `namespace`). */
export function ruleFields(
  body: RuleBody & { name: string },
  level: RuleLevel,
  namespace?: string,
  where: ProblemPlace = {},
): RuleFields {
  for (const name of Object.keys(body.labels ?? {}))
    if (reservedLabel(name, level))
      refuse(
        `label "${name}" is set by edgetower${level === 'namespace' ? ' (namespace rules may not set namespace, workspace, cluster, alertname, severity or edgetower_*)' : ''}; use the rule's severity for severity.`,
        `labels.${name}`,
        where,
      );
  if (body.clusterSelector && level !== 'fleet')
    refuse('clusterSelector is for fleet rules only.', 'clusterSelector', where);
  checkExpr(body.expr, level, namespace, where);
  return {
    name: body.name,
    groupName: body.group ?? DEFAULT_GROUP,
    intervalSeconds: seconds(
      body.interval,
      'interval',
      where,
      { min: MIN_INTERVAL_SECONDS, max: MAX_INTERVAL_SECONDS },
      DEFAULT_INTERVAL_SECONDS,
    ),
    expr: body.expr,
    forSeconds: seconds(body.for, 'for', where, { min: 0, max: MAX_FOR_SECONDS }, 0),
    keepFiringForSeconds: seconds(
      body.keepFiringFor,
      'keepFiringFor',
      where,
      { min: 0, max: MAX_FOR_SECONDS },
      0,
    ),
    severity: body.severity,
    labels: body.labels ?? {},
    annotations: body.annotations ?? {},
    disabled: body.disabled ?? false,
    clusterSelector: level === 'fleet' ? (body.clusterSelector?.matchLabels ?? {}) : null,
  };
}
