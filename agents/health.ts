import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from './config';

export interface HealthChecks {
  /** Liveness: false only when the process should be restarted. */
  live(): boolean;
  /** Readiness: informers synced; details go in the body. */
  ready(): { ok: boolean; details: Record<string, unknown> };
}

export interface HealthServer {
  port: number;
  close(): Promise<void>;
}

/** /healthz (liveness) and /readyz (readiness) for the kubelet's probes. */
export async function startHealthServer(
  listen: HostPort,
  checks: HealthChecks,
): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const ok = checks.live();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      return res.end(ok ? 'ok\n' : 'unhealthy\n');
    }
    if (path === '/readyz') {
      const { ok, details } = checks.ready();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ ready: ok, ...details }));
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
