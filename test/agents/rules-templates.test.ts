import { describe, expect, it } from 'vitest';
import { RuleAlerts } from '../../agents/rules/alert-state';
import { alternations, availabilityQueries } from '../../agents/rules/availability';
import { goFloat, goG, humanize, humanizeDuration } from '../../agents/rules/go-format';
import { decodeState, encodeState, MAX_STATE_BYTES } from '../../agents/rules/state-store';
import { expandTemplate, MAX_EXPANDED_CHARS } from '../../agents/rules/template';
import { MAX_ALERTS_PER_RULE } from '../../protocol/rules';
import { rule } from './rules-fixtures';

/** The pieces of the evaluator that need no Prometheus. */
const data = {
  labels: { pod: 'web-1', namespace: 'shop' },
  externalLabels: { cluster: 'c1' },
  value: 0.5,
};

describe('Go number formatting, as Prometheus templates print', () => {
  it('matches fmt for %v and %.4g', () => {
    expect(
      [1, 0.5, 123456, 1_500_000, 1e-5, 0, Number.NaN, Number.POSITIVE_INFINITY].map(goFloat),
    ).toEqual(['1', '0.5', '123456', '1.5e+06', '1e-05', '0', 'NaN', '+Inf']);
    expect([1234.5678, 12345.678, 0.000012345, 1.5].map((v) => goG(v))).toEqual([
      '1235',
      '1.235e+04',
      '1.234e-05',
      '1.5',
    ]);
    expect([1234, 0.0012, 2_500_000_000].map(humanize)).toEqual(['1.234k', '1.2m', '2.5G']);
    expect([0, 0.25, 59, 61, 90_061].map(humanizeDuration)).toEqual([
      '0s',
      '250ms',
      '59s',
      '1m 1s',
      '1d 1h 1m 1s',
    ]);
  });
});

describe('annotation templates', () => {
  it('expands the documented subset, pipes and trim markers', () => {
    expect(expandTemplate('{{ $labels.pod }} at {{ .Value | humanizePercentage }}', data)).toEqual({
      text: 'web-1 at 50%',
    });
    expect(
      expandTemplate('a {{- " b " -}} c {{ index $labels "namespace" | toUpper }}', data).text,
    ).toBe('a b c SHOP');
    expect(expandTemplate('{{/* note */}}{{ $externalLabels.cluster }}', data).text).toBe('c1');
  });

  it('marks what it does not do instead of running it: no loops, no queries, no unknown functions', () => {
    for (const template of [
      '{{ range $labels }}{{ . }}{{ end }}',
      '{{ query "up" | first }}',
      '{{ template "x" }}',
      '{{ $labels.pod.x }}',
      '{{ $value',
    ]) {
      const out = expandTemplate(template, data);
      expect(out.error, template).toBeDefined();
      expect(out.text, template).toContain('<error: ');
    }
  });

  it('caps the output', () => {
    const huge = expandTemplate(`${'{{ $labels.pod }}'.repeat(200)}${'x'.repeat(20_000)}`, data);
    expect(huge.text.length).toBeLessThanOrEqual(MAX_EXPANDED_CHARS);
    const padded = expandTemplate('{{ printf "%99999999d" 1 }}', data);
    expect(padded.text.length).toBeLessThanOrEqual(MAX_EXPANDED_CHARS);
  });
});

describe('alert state', () => {
  it('keeps at most MAX_ALERTS_PER_RULE alerts per rule and counts the rest', () => {
    const alerts = new RuleAlerts();
    const candidates = Array.from({ length: MAX_ALERTS_PER_RULE + 5 }, (_, i) => ({
      labels: { alertname: 'x', pod: `p${i}` },
      annotations: {},
      value: 1,
    }));
    expect(alerts.apply(candidates, { forMs: 0, keepFiringForMs: 0 }, 1000)).toEqual({
      dropped: 5,
    });
    expect(alerts.activeCount()).toBe(MAX_ALERTS_PER_RULE);
  });

  it('survives encoding within the ConfigMap budget, firing alerts first', () => {
    const many = Array.from({ length: 4000 }, (_, i) => ({
      labels: { alertname: 'x', pod: `pod-${i}-${'y'.repeat(100)}` },
      annotations: { summary: 'z'.repeat(200) },
      value: i,
      state: (i % 2 ? 'firing' : 'pending') as 'firing' | 'pending',
      activeAt: 1000,
      ...(i % 2 ? { firedAt: 2000, lastSentAt: 2000 } : {}),
    }));
    const text = encodeState({ r: many }, 5000);
    expect(text.length).toBeLessThanOrEqual(MAX_STATE_BYTES);
    const back = decodeState(text)?.r ?? [];
    expect(back.length).toBeGreaterThan(1000);
    expect(back.slice(0, 1000).every((a) => a.state === 'firing')).toBe(true);
    expect(decodeState('{"version":1,"rules":"x"}')).toBeUndefined();
  });
});

describe('availability queries', () => {
  it('asks once per chunk, escaped, and within namespaces for namespace rules', () => {
    const queries = availabilityQueries([
      rule('a', { expr: 'up', metrics: ['up', 'kube_pod_info'] }),
      rule('b', { expr: 'x', level: 'namespace', namespace: 'team-a', metrics: ['app"x'] }),
      rule('c', { expr: 'absent(nothing)', metrics: ['nothing'] }),
    ]);
    expect(queries).toEqual([
      'group by (__name__) ({__name__=~"kube_pod_info|up"})',
      'group by (__name__, namespace) ({__name__=~"app\\"x", namespace=~"team-a"})',
    ]);
    expect(
      alternations(
        Array.from({ length: 1000 }, (_, i) => `metric_${i}`),
        100,
      ).every((a) => a.length <= 100),
    ).toBe(true);
  });
});
