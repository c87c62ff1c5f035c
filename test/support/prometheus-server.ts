import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePeer } from './peers';
import { freePort } from './wrangler-dev';

/**
 * A REAL Prometheus (Debian's `prometheus` binary) for rule-evaluation
 * tests: temporary config and data directory, a random port, scraping
 * itself (labelled `namespace="monitoring"`) and a tiny exporter in this
 * process whose gauges the test sets, one scrape job per namespace
 * (`/metrics/<ns>`, static-config label `namespace=<ns>`), every second.
 */
export interface Exporter {
  /** Sets gauge `metric{labels}` exposed in `namespace` (created when new). */
  set(namespace: string, metric: string, labels: Record<string, string>, value: number): void;
  /** Stops exposing `metric` in `namespace` (every label set, or the one given). */
  remove(namespace: string, metric: string, labels?: Record<string, string>): void;
}

export interface PrometheusServer {
  url: string;
  exporter: Exporter;
  /** Resolves once an instant query of `expr` returns at least one series. */
  waitForSeries(expr: string, timeoutMs?: number): Promise<void>;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  output(): string;
  close(): Promise<void>;
}

export interface PrometheusServerOptions {
  /** Namespaces the exporter is scraped as (each its own job). */
  namespaces?: string[];
  scrapeIntervalSeconds?: number;
}

const labelKey = (labels: Record<string, string>) =>
  Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(
      ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
    )
    .join(',');

function startExporter(): Promise<{ exporter: Exporter; server: Server; port: number }> {
  /** namespace → metric → label key → value */
  const gauges = new Map<string, Map<string, Map<string, number>>>();
  const exporter: Exporter = {
    set(namespace, metric, labels, value) {
      const metrics = gauges.get(namespace) ?? new Map<string, Map<string, number>>();
      gauges.set(namespace, metrics);
      const series = metrics.get(metric) ?? new Map<string, number>();
      metrics.set(metric, series);
      series.set(labelKey(labels), value);
    },
    remove(namespace, metric, labels) {
      const metrics = gauges.get(namespace);
      if (!labels) metrics?.delete(metric);
      else metrics?.get(metric)?.delete(labelKey(labels));
    },
  };
  const server = createServer((req, res) => {
    const namespace = decodeURIComponent((req.url ?? '').replace(/^\/metrics\/?/, ''));
    const lines: string[] = [];
    for (const [metric, series] of gauges.get(namespace) ?? []) {
      lines.push(`# TYPE ${metric} gauge`);
      for (const [key, value] of series) lines.push(`${metric}{${key}} ${value}`);
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`${lines.join('\n')}\n`);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ exporter, server, port: (server.address() as AddressInfo).port }),
    ),
  );
}

export async function startPrometheus(
  options: PrometheusServerOptions = {},
): Promise<PrometheusServer> {
  const binary = requirePeer('prometheus');
  const dir = await mkdtemp(join(tmpdir(), 'edgetower-prometheus-'));
  const port = await freePort();
  const { exporter, server, port: exporterPort } = await startExporter();
  const interval = `${options.scrapeIntervalSeconds ?? 1}s`;
  const jobs = [
    `  - job_name: prometheus
    static_configs:
      - targets: ['127.0.0.1:${port}']
        labels: { namespace: monitoring }`,
    ...(options.namespaces ?? ['default']).map(
      (ns) => `  - job_name: exporter-${ns}
    metrics_path: /metrics/${ns}
    static_configs:
      - targets: ['127.0.0.1:${exporterPort}']
        labels: { namespace: ${ns} }`,
    ),
  ];
  await writeFile(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${interval}\n  evaluation_interval: ${interval}\nscrape_configs:\n${jobs.join('\n')}\n`,
  );
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const close = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  };

  const query = async (expr: string) => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as {
      data?: { result?: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return body.data?.result ?? [];
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`prometheus exited (${child.exitCode}):\n${output}`);
    }
    const ready = await fetch(`${url}/-/ready`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus did not become ready:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    exporter,
    query,
    async waitForSeries(expr, timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      while ((await query(expr)).length === 0) {
        if (Date.now() > until) throw new Error(`no series for ${expr} after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    output: () => output,
    close,
  };
}
