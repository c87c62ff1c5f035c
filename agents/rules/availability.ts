import type { EvaluatedRule } from '../../protocol/rules';
import type { Sample } from './prometheus-query';

/**
 * Which rules lack a metric: asked of Prometheus once per evaluation cycle
 * with `group by (__name__) ({__name__=~"m1|m2|…"})` (chunked), so a rule
 * over metrics this cluster does not have (no kube-state-metrics, no
 * node-exporter) shows as `unavailable` naming them instead of evaluating to
 * an empty, green vector.
 *
 * Namespace rules are asked within their namespaces
 * (`group by (__name__, namespace)`): their scoped expression sees only
 * those series, and a tenant must not learn which metrics exist elsewhere.
 * Rules built on `absent(…)` are about missing series and are not checked.
 */

/** Characters of one regex alternation per query (Prometheus takes more; proxies may not). */
const MAX_REGEX_CHARS = 4000;

const REGEX_SPECIALS = /[.*+?^${}()|[\]\\]/g;
const regexEscape = (text: string) => text.replace(REGEX_SPECIALS, '\\$&');
/** A PromQL double-quoted string literal. */
const promString = (text: string) =>
  `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** Splits names into `a|b|c` alternations of bounded length. */
export function alternations(names: Iterable<string>, maxChars = MAX_REGEX_CHARS): string[] {
  const out: string[] = [];
  let current = '';
  for (const name of [...new Set(names)].sort()) {
    const part = regexEscape(name);
    if (current && current.length + part.length + 1 > maxChars) {
      out.push(current);
      current = '';
    }
    current = current ? `${current}|${part}` : part;
  }
  if (current) out.push(current);
  return out;
}

const checksAvailability = (rule: EvaluatedRule) =>
  rule.metrics.length > 0 && !/\babsent(_over_time)?\s*\(/.test(rule.expr);

/** The existence queries for `rules` (none when no rule names a metric). */
export function availabilityQueries(rules: readonly EvaluatedRule[]): string[] {
  const clusterMetrics = new Set<string>();
  const namespacedMetrics = new Set<string>();
  const namespaces = new Set<string>();
  for (const rule of rules) {
    if (!checksAvailability(rule)) continue;
    const target =
      rule.level === 'namespace' && rule.namespace ? namespacedMetrics : clusterMetrics;
    for (const metric of rule.metrics) target.add(metric);
    if (rule.level === 'namespace' && rule.namespace) namespaces.add(rule.namespace);
  }
  const queries: string[] = [];
  for (const names of alternations(clusterMetrics))
    queries.push(`group by (__name__) ({__name__=~${promString(names)}})`);
  for (const names of alternations(namespacedMetrics))
    for (const inNamespaces of alternations(namespaces))
      queries.push(
        `group by (__name__, namespace) ({__name__=~${promString(names)}, namespace=~${promString(inNamespaces)}})`,
      );
  return queries;
}

/** Rule id → the metrics it selects that Prometheus has no series of (rules missing none are absent). */
export function missingMetrics(
  rules: readonly EvaluatedRule[],
  found: readonly Sample[],
): Map<string, string[]> {
  const cluster = new Set<string>();
  const inNamespace = new Set<string>();
  for (const { metric } of found) {
    const name = metric.__name__;
    if (!name) continue;
    if (metric.namespace === undefined) cluster.add(name);
    else inNamespace.add(`${metric.namespace}\u0000${name}`);
  }
  const out = new Map<string, string[]>();
  for (const rule of rules) {
    if (!checksAvailability(rule)) continue;
    const scoped = rule.level === 'namespace' && rule.namespace;
    const missing = rule.metrics.filter((m) =>
      scoped ? !inNamespace.has(`${rule.namespace}\u0000${m}`) : !cluster.has(m),
    );
    if (missing.length) out.set(rule.id, missing);
  }
  return out;
}
