/**
 * `npm run bench -- rules-scope`: parse + namespace rewrite of one PromQL
 * expression at the edge (functions/rules/scope-caller.ts, the function
 * the passthrough and namespace rules use), over 1,000 varied expressions.
 * Target (issue #15): ≤ 1 ms per expression.
 */
import { performance } from 'node:perf_hooks';
import { scopeForCaller } from '../../functions/rules/scope-caller';

const metrics = ['up', 'http_requests_total', 'container_cpu_usage_seconds_total', 'kube_pod_info'];
const shapes: ((m: string, i: number) => string)[] = [
  (m) => m,
  (m, i) => `${m}{job="api-${i}"} == 0`,
  (m) => `sum by (pod) (rate(${m}[5m]))`,
  (m, i) => `histogram_quantile(0.9${i % 10}, sum by (le) (rate(${m}_bucket{code=~"5.."}[5m])))`,
  (m) => `rate(${m}[5m]) / ignoring (code) group_left sum without (code) (rate(${m}[5m])) > 0.1`,
  (m, i) => `max_over_time(${m}{container!=""}[${(i % 9) + 1}m:30s]) > ${i}`,
  (m) => `label_replace(sum by (pod, namespace) (${m}), "x", "$1", "pod", "(.*)-[0-9]+")`,
  (m, i) =>
    `(${m} - ${m} offset 10m >= 1) and ignoring (reason) min_over_time(kube_pod_container_status_last_terminated_reason{reason="OOMKilled"}[10m]) == ${i % 2}`,
  (m) => `topk(5, sum by (namespace, pod) (${m}{namespace="team-a"}))`,
  (m, i) =>
    `avg(${m}) + avg(${m}) + avg(${m}) + avg(${m}) + avg(${m}{instance="10.0.0.${i % 255}:9100"})`,
];
const expressions = Array.from({ length: 1_000 }, (_, i) =>
  (shapes[i % shapes.length] as (m: string, i: number) => string)(
    metrics[i % metrics.length] as string,
    i,
  ),
);
const scopes = [
  { kind: 'namespaces' as const, namespaces: ['team-a'] },
  { kind: 'namespaces' as const, namespaces: ['team-a', 'team-b', 'team-c'] },
];

// Warm up (JIT, the grammar's tables), then time each expression alone.
for (const expr of expressions) scopeForCaller(expr, scopes[0] as (typeof scopes)[0]);
const samples: number[] = [];
let refused = 0;
for (let round = 0; round < 5; round++)
  for (const [i, expr] of expressions.entries()) {
    const started = performance.now();
    const out = scopeForCaller(expr, scopes[i % 2] as (typeof scopes)[0]);
    samples.push((performance.now() - started) * 1000);
    if (!out.ok) refused++;
  }
samples.sort((a, b) => a - b);
const pct = (p: number) =>
  samples[Math.min(samples.length - 1, Math.floor(samples.length * p))] ?? 0;
const bytes = expressions.reduce((n, e) => n + e.length, 0) / expressions.length;
console.table({
  'rules-scope': {
    expressions: expressions.length,
    runs: samples.length,
    'avg bytes': Math.round(bytes),
    'p50 µs': Math.round(pct(0.5)),
    'p99 µs': Math.round(pct(0.99)),
    'max µs': Math.round(samples.at(-1) ?? 0),
    refused,
    'target ≤ 1000 µs': pct(0.99) <= 1000 ? 'met' : 'MISSED',
  },
});
if (pct(0.99) > 1000) process.exitCode = 1;
