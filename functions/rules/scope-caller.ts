/**
 * The PromQL a caller may send to a cluster's Prometheus: cluster readers
 * send theirs untouched (Prometheus answers its own errors); everyone else
 * reads only the namespaces they may `get monitoring` in, pinned on every
 * selector the way prom-label-proxy does (lib/promql/scope.ts), and naming
 * another namespace is refused with its line and column. Pure: the bench
 * (test/bench/rules-scope.ts) times exactly this.
 */
import { type ScopedPromql, scopeToNamespaces } from '../../lib/promql';

export type CallerScope =
  | { kind: 'cluster' }
  | { kind: 'namespaces'; namespaces: readonly string[] };

export function scopeForCaller(expr: string, scope: CallerScope): ScopedPromql {
  if (scope.kind === 'cluster') return { ok: true, expr };
  return scopeToNamespaces(expr, scope.namespaces);
}
