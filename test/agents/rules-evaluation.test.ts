import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../agents/log';
import { type AlertsPayload, type RuleEvaluator, startRuleEvaluator } from '../../agents/rules';
import type { EvaluatedRule, RulesHealthFrame } from '../../protocol/rules';
import { type PrometheusServer, startPrometheus } from '../support/prometheus-server';
import { flatten, healthOf, rule, syncFrame } from './rules-fixtures';
import { waitFor } from './support';

/**
 * The evaluator against a REAL Prometheus scraping a test exporter every
 * second (namespaces team-a and team-b): Prometheus' alerting semantics,
 * templates, namespace forcing, `unavailable`, and failures that must end
 * as rule health, never as a crash or a silent green.
 */
let prom: PrometheusServer;
beforeAll(async () => {
  prom = await startPrometheus({ namespaces: ['team-a', 'team-b'] });
}, 30_000);
afterAll(async () => prom?.close());

interface Run {
  evaluator: RuleEvaluator;
  sent: { payload: AlertsPayload; at: number }[];
  health: RulesHealthFrame[];
}
const running: RuleEvaluator[] = [];
afterEach(async () => {
  for (const evaluator of running.splice(0)) await evaluator.stop();
});

function evaluate(
  rules: EvaluatedRule[],
  options: { resendDelayMs?: number; prometheusUrl?: string } = {},
): Run {
  const run: Run = { sent: [], health: [] } as unknown as Run;
  run.evaluator = startRuleEvaluator({
    prometheusUrl: options.prometheusUrl ?? prom.url,
    submitAlerts: async (payload) => {
      run.sent.push({ payload, at: Date.now() });
    },
    sendHealth: (frame) => {
      run.health.push(frame);
      return true;
    },
    externalLabels: { cluster: 'c1' },
    initial: syncFrame(rules),
    log: silentLogger,
    intervalMs: 1000,
    healthMinIntervalMs: 0,
    resendDelayMs: options.resendDelayMs ?? 60_000,
  });
  running.push(run.evaluator);
  return run;
}

const alertsOf = (run: Run, id: string) =>
  flatten(run.sent).filter((a) => a.labels.edgetower_rule_id === id);

describe('rule evaluation against a real Prometheus', () => {
  it('is pending for `for`, then fires, is re-sent every resend delay, and resolves once', async () => {
    prom.exporter.set('team-a', 't1_errors', { pod: 'p1' }, 5);
    await prom.waitForSeries('t1_errors');
    const run = evaluate(
      [
        rule('r1', {
          expr: 't1_errors > 1',
          metrics: ['t1_errors'],
          forSeconds: 3,
          severity: 'critical',
          labels: { team: 'a' },
        }),
      ],
      { resendDelayMs: 1500 },
    );
    const pending = await waitFor(() => {
      const h = healthOf(run.health, 'r1');
      return h?.state === 'pending' ? h : undefined;
    });
    expect(alertsOf(run, 'r1')).toEqual([]); // pending alerts are never sent
    const activeAt = Date.parse(pending.alerts[0]?.activeAt ?? '');
    const first = await waitFor(() => alertsOf(run, 'r1')[0], 10_000);
    expect(first.status).toBe('firing');
    expect(Date.parse(first.startsAt) - activeAt).toBeGreaterThanOrEqual(3000);
    // Valid for 4 × max(resend delay, interval), as Prometheus sends them.
    expect(Date.parse(first.endsAt) - Date.parse(first.startsAt)).toBe(6000);
    expect(first.labels).toMatchObject({
      alertname: 'r1',
      severity: 'critical',
      team: 'a',
      namespace: 'team-a',
      pod: 'p1',
      edgetower_rule_id: 'r1',
      edgetower_rule_level: 'cluster',
    });
    expect(first.labels.__name__).toBeUndefined();
    // Re-sent with the same startsAt, so the edge's grouping keeps it alive.
    const resent = await waitFor(() => alertsOf(run, 'r1')[1], 5000);
    expect(resent.startsAt).toBe(first.startsAt);
    expect(resent.sentAt - first.sentAt).toBeGreaterThanOrEqual(1400);

    prom.exporter.remove('team-a', 't1_errors');
    const removedAt = Date.now();
    const resolved = await waitFor(
      () => alertsOf(run, 'r1').find((a) => a.status === 'resolved'),
      10_000,
    );
    expect(Date.parse(resolved.endsAt)).toBeGreaterThanOrEqual(removedAt - 1000);
    expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(Date.now());
    await new Promise((r) => setTimeout(r, 2500));
    expect(alertsOf(run, 'r1').filter((a) => a.status === 'resolved')).toHaveLength(1);
    expect(alertsOf(run, 'r1').at(-1)?.status).toBe('resolved');
    // The metric is gone altogether: still evaluated (so it resolved), but not green.
    expect(healthOf(run.health, 'r1')).toMatchObject({
      health: 'unavailable',
      missingMetrics: ['t1_errors'],
      state: 'inactive',
      samples: 0,
    });
  }, 30_000);

  it('keeps firing for keep_firing_for after the condition clears, then resolves', async () => {
    prom.exporter.set('team-a', 't2_down', { pod: 'p2' }, 1);
    await prom.waitForSeries('t2_down');
    const run = evaluate([rule('r2', { expr: 't2_down == 1', keepFiringForSeconds: 4 })]);
    await waitFor(() => alertsOf(run, 'r2')[0], 10_000);
    prom.exporter.remove('team-a', 't2_down');
    const removedAt = Date.now();
    await waitFor(async () => (await prom.query('t2_down')).length === 0, 5000);
    const goneAt = Date.now();
    // The series is gone, the alert still fires.
    await new Promise((r) => setTimeout(r, 2000));
    expect(healthOf(run.health, 'r2')).toMatchObject({ state: 'firing', samples: 0 });
    const resolved = await waitFor(
      () => alertsOf(run, 'r2').find((a) => a.status === 'resolved'),
      10_000,
    );
    expect(Date.parse(resolved.endsAt) - goneAt).toBeGreaterThanOrEqual(3000);
    expect(Date.parse(resolved.endsAt) - removedAt).toBeLessThan(8000);
  }, 30_000);

  it('expands annotation templates with labels, value, external labels and formatting functions', async () => {
    prom.exporter.set('team-a', 't3_bytes', { pod: '{{ humanizeDuration 1 }}' }, 1_500_000);
    await prom.waitForSeries('t3_bytes');
    const run = evaluate([
      rule('r3', {
        expr: 't3_bytes',
        annotations: {
          summary:
            '{{ $labels.namespace }}/{{ $labels.pod }} holds {{ $value }} ({{ humanize $value }}, {{ .Value | humanize1024 }}B) in {{ $externalLabels.cluster }}',
          ratio:
            '{{ 0.25 | humanizePercentage }} for {{ humanizeDuration 3725 }}, {{ printf "%.2f" $value }}',
          absent: '[{{ $labels.nope }}]',
        },
      }),
      rule('r3bad', {
        expr: 't3_bytes',
        annotations: { loop: '{{ range $labels }}x{{ end }}', call: '{{ $value | nonsense }}' },
      }),
    ]);
    const good = await waitFor(() => alertsOf(run, 'r3')[0], 10_000);
    // A label value is data, never a template: it is not expanded again.
    expect(good.annotations.summary).toBe(
      'team-a/{{ humanizeDuration 1 }} holds 1.5e+06 (1.5M, 1.431MiB) in c1',
    );
    expect(good.annotations.ratio).toBe('25% for 1h 2m 5s, 1500000.00');
    expect(good.annotations.absent).toBe('[]');
    await waitFor(() => healthOf(run.health, 'r3')?.health === 'ok');
    const bad = await waitFor(() => alertsOf(run, 'r3bad')[0], 10_000);
    expect(bad.annotations.loop).toMatch(/^<error: .*range.*>x<error: .*end.*>$/);
    expect(bad.annotations.call).toMatch(/<error: .*function "nonsense" not defined>/);
    const health = await waitFor(() => {
      const h = healthOf(run.health, 'r3bad');
      return h?.health === 'error' ? h : undefined;
    });
    expect(health.lastError).toMatch(/range/);
  }, 30_000);

  it('names the missing metric as unavailable instead of evaluating to green', async () => {
    prom.exporter.set('team-a', 't5_only_in_a', { pod: 'p5' }, 1);
    await prom.waitForSeries('t5_only_in_a');
    const run = evaluate([
      rule('r5', { expr: 't5_not_scraped > 0 or up == 0', metrics: ['t5_not_scraped', 'up'] }),
      rule('r5ok', { expr: 'up == 0', metrics: ['up'] }),
      rule('r5absent', { expr: 'absent(t5_not_scraped)', metrics: ['t5_not_scraped'] }),
    ]);
    const h = await waitFor(() => {
      const x = healthOf(run.health, 'r5');
      return x?.health === 'unavailable' ? x : undefined;
    });
    expect(h.missingMetrics).toEqual(['t5_not_scraped']);
    expect(h.lastError).toContain('t5_not_scraped');
    await waitFor(() => healthOf(run.health, 'r5ok')?.health === 'ok');
    // absent() is about missing series: evaluated, and it fires.
    await waitFor(() => alertsOf(run, 'r5absent')[0], 10_000);
  }, 20_000);

  it("reports a bad expression as health error with Prometheus' words", async () => {
    const run = evaluate([rule('r6', { expr: 'sum(up' }), rule('r6range', { expr: 'up[1m]' })]);
    const h = await waitFor(() => {
      const x = healthOf(run.health, 'r6');
      return x?.health === 'error' ? x : undefined;
    });
    expect(h.lastError).toMatch(/parse error/);
    await waitFor(() =>
      /not an instant vector/.test(healthOf(run.health, 'r6range')?.lastError ?? ''),
    );
  }, 15_000);

  it('turns an unreachable Prometheus into rule health error, and keeps evaluating', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const run = evaluate(
      [rule('r7', { expr: 'up', metrics: ['up'] }), rule('r7b', { expr: 'vector(1)' })],
      {
        prometheusUrl: `http://127.0.0.1:${port}`,
      },
    );
    const first = await waitFor(() => {
      const x = healthOf(run.health, 'r7');
      return x?.health === 'error' ? x : undefined;
    });
    expect(first.lastError).toMatch(/cannot reach Prometheus/);
    await waitFor(() => {
      const x = healthOf(run.health, 'r7');
      return x && x.lastEvaluation > first.lastEvaluation;
    }, 5000);
    expect(healthOf(run.health, 'r7b')?.health).toBe('error');
    expect(run.sent).toEqual([]);
  }, 15_000);

  it('times a slow Prometheus out within the interval, never piling up evaluations', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    let requests = 0;
    const slow: Server = createServer((req) => {
      requests++;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      req.socket.once('close', () => inFlight--);
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', () => r()));
    try {
      const run = evaluate([rule('r8', { expr: 'up' })], {
        prometheusUrl: `http://127.0.0.1:${(slow.address() as AddressInfo).port}`,
      });
      const h = await waitFor(() => {
        const x = healthOf(run.health, 'r8');
        return x?.health === 'error' ? x : undefined;
      }, 5000);
      expect(h.lastError).toMatch(/timed out/);
      await waitFor(() => requests >= 3, 6000);
      expect(maxInFlight).toBe(1);
    } finally {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    }
  }, 15_000);
});

describe('attacks: a namespace rule reads and alerts only in its namespace', () => {
  it('forces namespace and workspace on every alert, whatever label_replace or the rule labels say', async () => {
    prom.exporter.set('team-a', 't4_errors', { pod: 'p4' }, 2);
    await prom.waitForSeries('t4_errors');
    const run = evaluate([
      rule('r4', {
        level: 'namespace',
        namespace: 'team-a',
        workspace: 'ws-a',
        // As the edge scoped it, then a tenant's attempt to relabel into team-b.
        expr: 'label_replace(t4_errors{namespace="team-a"}, "namespace", "team-b", "", "")',
        labels: { namespace: 'team-b', workspace: 'ws-b', owner: '{{ $labels.namespace }}' },
        metrics: ['t4_errors'],
      }),
    ]);
    const alert = await waitFor(() => alertsOf(run, 'r4')[0], 10_000);
    expect(alert.labels).toMatchObject({
      namespace: 'team-a',
      workspace: 'ws-a',
      edgetower_rule_level: 'namespace',
    });
  }, 20_000);

  it('does not tell a namespace rule that a metric exists in another namespace', async () => {
    prom.exporter.set('team-a', 't9_secret_app', { pod: 'p9' }, 1);
    await prom.waitForSeries('t9_secret_app');
    const run = evaluate([
      rule('r9', {
        level: 'namespace',
        namespace: 'team-b',
        workspace: 'ws-b',
        expr: 't9_secret_app{namespace="team-b"}',
        metrics: ['t9_secret_app'],
      }),
    ]);
    const h = await waitFor(() => {
      const x = healthOf(run.health, 'r9');
      return x?.health !== 'unknown' ? x : undefined;
    }, 5000);
    expect(h).toMatchObject({ health: 'unavailable', missingMetrics: ['t9_secret_app'] });
  }, 15_000);
});
