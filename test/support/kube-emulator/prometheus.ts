import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { podUsageMillisBytes } from './metrics';
import type { KubeStore } from './store';
import type { KubeObject } from './types';

/**
 * A stand-in for an in-cluster Prometheus scraping cAdvisor, for metering
 * tests: answers instant queries (`/api/v1/query`) naming
 * container_cpu_usage_seconds_total, container_memory_working_set_bytes,
 * container_network_receive_bytes_total or
 * container_network_transmit_bytes_total with one series per running pod
 * (labels namespace, pod). Counters grow with the pods' usage (the same
 * usage metrics.k8s.io reports) and the network rates tests set; a test
 * can reset a pod's counters as a container restart would.
 */
export interface FakePrometheus {
  url: string;
  /** Every PromQL query received. */
  queries: string[];
  setNetworkRate(namespace: string, pod: string, rate: { rx: number; tx: number }): void;
  /** The pod's counters start again from zero. */
  resetCounters(namespace: string, pod: string): void;
  close(): Promise<void>;
}

interface Counters {
  cpuSeconds: number;
  rx: number;
  tx: number;
  at: number;
}

export async function startFakePrometheus(
  store: KubeStore,
  options: { now?: () => number } = {},
): Promise<FakePrometheus> {
  const now = options.now ?? (() => Date.now());
  const counters = new Map<string, Counters>();
  const rates = new Map<string, { rx: number; tx: number }>();
  const queries: string[] = [];

  const running = () =>
    store
      .list('pods')
      .filter((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');

  /** Brings every running pod's counters up to now. */
  const advance = () => {
    const t = now() / 1000;
    for (const pod of running()) {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const c = counters.get(key) ?? { cpuSeconds: 0, rx: 0, tx: 0, at: t };
      const dt = Math.max(0, t - c.at);
      const rate = rates.get(key) ?? { rx: 0, tx: 0 };
      c.cpuSeconds += (podUsageMillisBytes(store, pod).cpu / 1000) * dt;
      c.rx += rate.rx * dt;
      c.tx += rate.tx * dt;
      c.at = t;
      counters.set(key, c);
    }
  };

  const vector = (query: string) => {
    advance();
    const t = now() / 1000;
    const value = (pod: KubeObject) => {
      const key = `${pod.metadata.namespace}/${pod.metadata.name}`;
      const c = counters.get(key) as Counters;
      if (query.includes('container_cpu_usage_seconds_total')) return c.cpuSeconds;
      if (query.includes('container_memory_working_set_bytes'))
        return podUsageMillisBytes(store, pod).memory;
      if (query.includes('container_network_receive_bytes_total')) return c.rx;
      if (query.includes('container_network_transmit_bytes_total')) return c.tx;
      return undefined;
    };
    return running().flatMap((pod) => {
      const v = value(pod);
      return v === undefined
        ? []
        : [
            {
              metric: { namespace: pod.metadata.namespace ?? '', pod: pod.metadata.name },
              value: [t, String(v)],
            },
          ];
    });
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://prometheus');
    if (url.pathname !== '/api/v1/query') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: 'error', error: 'not found' }));
    }
    const query = url.searchParams.get('query') ?? '';
    queries.push(query);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: vector(query) } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    queries,
    setNetworkRate: (namespace, pod, rate) => {
      advance(); // growth so far at the old rate
      rates.set(`${namespace}/${pod}`, rate);
    },
    resetCounters: (namespace, pod) => {
      advance();
      const c = counters.get(`${namespace}/${pod}`);
      if (c) Object.assign(c, { cpuSeconds: 0, rx: 0, tx: 0 });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
