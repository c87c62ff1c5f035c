import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInAdmin } from '../support/e2e-fleet';
import { requirePeer } from '../support/peers';
import { freePort, removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

const run = promisify(execFile);

let edge: WranglerDev;
let workDir: string;
let token: string;
let prometheus: ChildProcess | undefined;
/** Prometheus's own log (tail): why it did not send, when it did not (bad config, notifier errors). */
let prometheusLog = '';
let httpConfig: string;
let prometheusPort = 0;

interface EdgeAlert {
  labels: Record<string, string>;
  status: { state: string; silencedBy: string[] };
}

const edgeAlerts = async (): Promise<EdgeAlert[]> => {
  const res = await fetch(`${edge.url}/api/v2/alerts`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return (await res.json()) as EdgeAlert[];
};

/** Polls a real peer's effect (processes run on their own clocks) until `check` passes. */
async function eventually<T>(
  what: string,
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what}: not seen in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

const amtool = async (...args: string[]) =>
  (
    await run(requirePeer('amtool'), [
      `--alertmanager.url=${edge.url}`,
      `--http.config.file=${httpConfig}`,
      ...args,
    ])
  ).stdout;

describe('alerting with real Prometheus and amtool', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-alerts-e2e-'));
    edge = await startWranglerDev();
    const jwt = await signInAdmin(edge.url);
    const created = await fetch(`${edge.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'prometheus',
        scopes: [
          'create:alerts',
          'list:alerts',
          'create:silences',
          'list:silences',
          'get:silences',
          'delete:silences',
        ],
      }),
    });
    token = ((await created.json()) as { token: string }).token;
    httpConfig = path.join(workDir, 'http.yml');
    await writeFile(httpConfig, `authorization:\n  type: Bearer\n  credentials: ${token}\n`);
    await writeFile(
      path.join(workDir, 'rules.yml'),
      [
        'groups:',
        '  - name: e2e',
        '    interval: 1s',
        '    rules:',
        '      - alert: E2EAlwaysFiring',
        '        expr: vector(1)',
        '        labels: {severity: warning, cluster: e2e-prom, namespace: default}',
        '        annotations: {summary: "fires from the first evaluation"}',
        '',
      ].join('\n'),
    );
    await writeFile(
      path.join(workDir, 'prometheus.yml'),
      [
        'global: {evaluation_interval: 1s, scrape_interval: 15s}',
        'rule_files: [rules.yml]',
        'alerting:',
        '  alertmanagers:',
        '    - api_version: v2',
        `      authorization: {type: Bearer, credentials: ${token}}`,
        `      static_configs: [{targets: ["127.0.0.1:${edge.port}"]}]`,
        '',
      ].join('\n'),
    );
    prometheusPort = await freePort();
    const port = prometheusPort;
    prometheus = spawn(
      requirePeer('prometheus'),
      [
        `--config.file=${path.join(workDir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(workDir, 'tsdb')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // The first send can precede Alertmanager discovery and be dropped; resend soon, not after 1 min.
        '--rules.alert.resend-delay=2s',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk) => {
      prometheusLog = (prometheusLog + String(chunk)).slice(-4000);
    });
  });

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    if (edge) {
      await edge.stop();
      await removeState(edge);
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('a stock Prometheus pointed at the edge delivers its firing alert', async () => {
    const alerts = await eventually('Prometheus alert at the edge', edgeAlerts, (list) => {
      if (prometheus?.exitCode !== null)
        throw new Error(`prometheus exited (${prometheus?.exitCode}):\n${prometheusLog}`);
      return list.some((a) => a.labels.alertname === 'E2EAlwaysFiring');
    }).catch((error: unknown) => {
      throw new Error(`${String(error)}\nprometheus log:\n${prometheusLog}`);
    });
    const alert = alerts.find((a) => a.labels.alertname === 'E2EAlwaysFiring');
    expect(alert?.labels).toMatchObject({
      cluster: 'e2e-prom',
      severity: 'warning',
      namespace: 'default',
    });
    expect(alert?.status.state).toBe('active');
  });

  it('amtool lists it, silences it, sees it muted, and expires the silence', async () => {
    const listed = JSON.parse(
      await amtool('alert', 'query', '-o', 'json', 'alertname=E2EAlwaysFiring'),
    ) as EdgeAlert[];
    expect(listed.map((a) => a.labels.alertname)).toEqual(['E2EAlwaysFiring']);
    const id = (
      await amtool(
        'silence',
        'add',
        'alertname=E2EAlwaysFiring',
        'cluster=e2e-prom',
        '--comment=e2e',
        '--author=e2e',
        '--duration=1h',
      )
    ).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const muted = (await edgeAlerts()).find((a) => a.labels.alertname === 'E2EAlwaysFiring');
    expect(muted?.status).toMatchObject({ state: 'suppressed', silencedBy: [id] });
    expect(
      JSON.parse(await amtool('alert', 'query', '-o', 'json', 'alertname=E2EAlwaysFiring')),
    ).toEqual([]);
    const silences = JSON.parse(await amtool('silence', 'query', '-o', 'json')) as {
      id: string;
      comment: string;
    }[];
    expect(silences.find((s) => s.id === id)?.comment).toBe('e2e');
    await amtool('silence', 'expire', id);
    const expired = JSON.parse(await amtool('silence', 'query', '--expired', '-o', 'json')) as {
      id: string;
      status: { state: string };
    }[];
    expect(expired.find((s) => s.id === id)?.status.state).toBe('expired');
    const back = (await edgeAlerts()).find((a) => a.labels.alertname === 'E2EAlwaysFiring');
    expect(back?.status.state).toBe('active');
  });
});
