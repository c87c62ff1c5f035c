/**
 * Namespace scoping of PromQL, the way prom-label-proxy scopes a tenant's
 * queries: every vector selector (and so every matrix selector and
 * subquery) gets `namespace="<ns>"`. An expression that already names a
 * namespace is accepted only when it names an allowed one with `=`; any
 * other namespace matcher (another namespace, `!=`, a regex) is refused,
 * never silently widened or narrowed.
 */
import { type PromqlSyntaxError, parsePromql, positionOf } from './parse';
import { vectorSelectors } from './selectors';
import { quotePromqlString } from './strings';

export const NAMESPACE_LABEL = 'namespace';

export type ScopedPromql =
  | { ok: true; expr: string }
  | { ok: false; code: 'invalid_promql'; error: PromqlSyntaxError }
  | { ok: false; code: 'namespace_not_allowed'; error: PromqlSyntaxError };

/** The matcher that pins a selector to the allowed namespaces. */
function pinMatcher(namespaces: readonly string[]): string {
  if (namespaces.length === 1)
    return `${NAMESPACE_LABEL}=${quotePromqlString(namespaces[0] as string)}`;
  // Namespaces are DNS labels ([a-z0-9-]), so no regex escaping is needed; checked anyway.
  const alternatives = namespaces.map((ns) => ns.replace(/[^a-z0-9-]/g, (c) => `\\${c}`));
  return `${NAMESPACE_LABEL}=~${quotePromqlString(`^(?:${alternatives.join('|')})$`)}`;
}

/**
 * Rewrites `expr` so it reads only series of `namespaces` (one or more DNS
 * labels). Parse errors and refused selectors come back with line and column.
 */
export function scopeToNamespaces(expr: string, namespaces: readonly string[]): ScopedPromql {
  if (namespaces.length === 0) throw new Error('scopeToNamespaces needs at least one namespace');
  const parsed = parsePromql(expr);
  if (!parsed.ok) return { ok: false, code: 'invalid_promql', error: parsed.error };
  const allowed = new Set(namespaces);
  const pin = pinMatcher(namespaces);
  const inserts: { at: number; text: string }[] = [];
  for (const selector of vectorSelectors(expr, parsed.tree)) {
    const namespaceMatchers = selector.matchers.filter((m) => m.name === NAMESPACE_LABEL);
    const unreadable = selector.matchers.some((m) => m.name === undefined);
    if (unreadable)
      return refuse(expr, selector.from, 'a label name in this selector cannot be read');
    if (namespaceMatchers.length > 0) {
      const pinned = namespaceMatchers.some(
        (m) => m.op === '=' && m.value !== undefined && allowed.has(m.value),
      );
      if (!pinned)
        return refuse(
          expr,
          selector.from,
          `this selector names a namespace other than ${[...allowed].map((n) => `"${n}"`).join(', ')}`,
        );
      continue; // `namespace="<allowed>"` already confines it; other matchers only narrow
    }
    if (selector.bracesOpenEnd !== undefined) {
      const empty = selector.matchers.length === 0 && selector.quotedMetricNames.length === 0;
      inserts.push({ at: selector.bracesOpenEnd, text: empty ? pin : `${pin}, ` });
    } else if (selector.metricEnd !== undefined) {
      inserts.push({ at: selector.metricEnd, text: `{${pin}}` });
    }
  }
  let out = expr;
  for (const insert of inserts.sort((a, b) => b.at - a.at))
    out = out.slice(0, insert.at) + insert.text + out.slice(insert.at);
  return { ok: true, expr: out };
}

function refuse(expr: string, offset: number, message: string): ScopedPromql {
  return {
    ok: false,
    code: 'namespace_not_allowed',
    error: { ...positionOf(expr, offset), message },
  };
}
