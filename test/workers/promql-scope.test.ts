import { describe, expect, it } from 'vitest';
import { metricNames, parsePromql, scopeToNamespaces } from '../../lib/promql';

const scoped = (expr: string, ns: string[] = ['shop']) => {
  const result = scopeToNamespaces(expr, ns);
  if (!result.ok) throw new Error(`${result.code}: ${result.error.message}`);
  return result.expr;
};

describe('PromQL syntax (the Prometheus grammar)', () => {
  it('accepts valid expressions', () => {
    for (const expr of [
      'up',
      'sum by (pod) (rate(container_cpu_usage_seconds_total{container!=""}[5m])) > 0.9',
      'max_over_time(x[5m:1m]) offset 1h',
      'x @ start()',
      '{"metric.with.dots", job="a"}',
    ])
      expect(parsePromql(expr).ok, expr).toBe(true);
  });

  it('reports the first error with its line and column', () => {
    const cases: [string, number, number][] = [
      ['sum(rate(x[5m])', 1, 16],
      ['up{a="b"', 1, 9],
      ['a\n  + (b', 2, 7],
      ['foo bar', 1, 5],
      ['   ', 1, 1],
    ];
    for (const [expr, line, column] of cases) {
      const parsed = parsePromql(expr);
      expect(parsed.ok, expr).toBe(false);
      if (!parsed.ok)
        expect([parsed.error.line, parsed.error.column], expr).toEqual([line, column]);
    }
  });
});

describe('namespace scoping', () => {
  it('pins every selector, matrix selector and subquery', () => {
    expect(scoped('up')).toBe('up{namespace="shop"}');
    expect(scoped('rate(x{job="a"}[5m]) / on(pod) y')).toBe(
      'rate(x{namespace="shop", job="a"}[5m]) / on(pod) y{namespace="shop"}',
    );
    expect(scoped('max_over_time(x[5m:1m])')).toBe('max_over_time(x{namespace="shop"}[5m:1m])');
    expect(scoped('{__name__="x"}')).toBe('{namespace="shop", __name__="x"}');
    expect(scoped('x{}')).toBe('x{namespace="shop"}');
    expect(scoped('{"a.b"}')).toBe('{namespace="shop", "a.b"}');
  });

  it('keeps a selector already pinned to an allowed namespace', () => {
    expect(scoped('x{namespace="shop", pod=~"a.*"}')).toBe('x{namespace="shop", pod=~"a.*"}');
    expect(scoped("x{namespace='shop'}")).toBe("x{namespace='shop'}");
    expect(scoped('x{"namespace"="shop"}')).toBe('x{"namespace"="shop"}');
  });

  it('refuses any other namespace matcher with its position', () => {
    for (const expr of [
      'x{namespace="other"}',
      'up + x{namespace!="shop"}',
      'x{namespace=~"shop|other"}',
      'x{namespace=~".*"}',
      'x{"namespace"="kube-system"}',
      'x{namespace="sh\\x6fp2"}',
    ]) {
      const result = scopeToNamespaces(expr, ['shop']);
      expect(result.ok, expr).toBe(false);
      if (!result.ok) expect(result.code).toBe('namespace_not_allowed');
    }
    const result = scopeToNamespaces('up +\n  x{namespace="other"}', ['shop']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.line, result.error.column]).toEqual([2, 3]);
  });

  it('decodes escapes before comparing (an escaped allowed name is still allowed)', () => {
    expect(scoped('x{namespace="sh\\x6fp"}')).toBe('x{namespace="sh\\x6fp"}');
  });

  it('scopes to several namespaces with an anchored regex', () => {
    expect(scoped('up', ['a', 'b-2'])).toBe('up{namespace=~"^(?:a|b-2)$"}');
    expect(scoped('up{namespace="b-2"}', ['a', 'b-2'])).toBe('up{namespace="b-2"}');
  });

  it('refuses a syntax error as invalid_promql', () => {
    const result = scopeToNamespaces('rate(x[5m]', ['shop']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.code).toBe('invalid_promql');
  });
});

describe('metric names', () => {
  it('lists the metrics an expression reads', () => {
    const parsed = parsePromql(
      'kube_pod_status_ready{condition="true"} == 0 and on(pod) {__name__="kube_pod_info"} or {"a.b"}',
    );
    if (!parsed.ok) throw new Error('parse');
    expect(metricNames(parsed.expr, parsed.tree).sort()).toEqual([
      'a.b',
      'kube_pod_info',
      'kube_pod_status_ready',
    ]);
  });
});
