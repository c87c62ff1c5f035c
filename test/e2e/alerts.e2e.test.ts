import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearerFetch, registerCluster, signInAdmin } from '../support/e2e-fleet';
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
/** amtool's HTTP config with the token of team-a's workspace admin (a tenant). */
let teamHttpConfig: string;
let teamToken: string;
let prometheusPort = 0;
/** A webhook on loopback: what team-a's receiver is notified of. */
let sink: Server;
const hooked: {
  receiver: string;
  externalURL: string;
  alerts: { generatorURL: string; labels: Record<string, string> }[];
}[] = [];

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

/** amtool against the edge with the HTTP config (bearer token) `config`: its stdout. */
const amtoolWith = async (config: string, ...args: string[]) =>
  (
    await run(requirePeer('amtool'), [
      `--alertmanager.url=${edge.url}`,
      `--http.config.file=${config}`,
      ...args,
    ])
  ).stdout;
const amtool = (...args: string[]) => amtoolWith(httpConfig, ...args);
const teamAmtool = (...args: string[]) => amtoolWith(teamHttpConfig, ...args);

/** POSTs JSON at the edge as `token`, expecting 201. */
async function create(token: string, p: string, body: unknown): Promise<void> {
  const res = await bearerFetch(edge.url, token, p, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status, `${p}: ${await res.clone().text()}`).toBe(201);
}

/**
 * A tenant beside the platform: workspace team-a (namespace team-web in
 * cluster e2e-prom, admin team-admin, receiver team-oncall → the loopback
 * webhook), workspace team-b (receiver b-secret) and a platform receiver
 * whose matcher value needs Alertmanager's escaping.
 */
async function seedTenants(adminJwt: string, sinkUrl: string): Promise<void> {
  await registerCluster((p, init) => bearerFetch(edge.url, adminJwt, p, init), {
    name: 'e2e-prom',
  });
  await create(adminJwt, '/api/v1/users', { name: 'team-admin', password: 'Quiet-Harbor-41x' });
  for (const [ws, ns, admin] of [
    ['team-a', 'team-web', { admin: 'team-admin' }],
    ['team-b', 'team-b-web', {}],
  ] as const) {
    await create(adminJwt, '/api/v1/workspaces', { name: ws, clusters: ['e2e-prom'], ...admin });
    await create(adminJwt, `/api/v1/workspaces/${ws}/namespaces`, {
      cluster: 'e2e-prom',
      name: ns,
    });
  }
  const hook = (name: string, owner: Record<string, string>) => ({
    name,
    type: 'webhook',
    config: { url: `${sinkUrl}/${name}` },
    ...owner,
  });
  await create(adminJwt, '/api/v1/notification/channels', hook('b-hook', { workspace: 'team-b' }));
  await create(adminJwt, '/api/v1/notification/receivers', {
    name: 'b-secret',
    channels: ['b-hook'],
    workspace: 'team-b',
  });
  await create(adminJwt, '/api/v1/notification/channels', hook('ops-hook', {}));
  await create(adminJwt, '/api/v1/notification/receivers', {
    name: 'platform-ops',
    channels: ['ops-hook'],
    matchers: [{ name: 'team', op: '=', value: 'a"b\\c' }],
  });
  const login = await fetch(`${edge.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'team-admin',
      password: 'Quiet-Harbor-41x',
    }),
  });
  expect(login.status).toBe(200);
  const teamJwt = ((await login.json()) as { access_token: string }).access_token;
  await create(
    teamJwt,
    '/api/v1/notification/channels',
    hook('team-hook', { workspace: 'team-a' }),
  );
  await create(teamJwt, '/api/v1/notification/receivers', {
    name: 'team-oncall',
    channels: ['team-hook'],
    workspace: 'team-a',
    matchers: [{ name: 'severity', op: '=~', value: 'warning|critical' }],
    groupWaitSeconds: 0,
  });
  const res = await bearerFetch(edge.url, teamJwt, '/api/v1/tokens', {
    method: 'POST',
    body: JSON.stringify({ name: 'amtool' }),
  });
  expect(res.status).toBe(201);
  teamToken = ((await res.json()) as { token: string }).token;
}

describe('alerting with real Prometheus and amtool', () => {
  beforeAll(async () => {
    workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-alerts-e2e-'));
    sink = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        hooked.push(JSON.parse(body));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
    // The webhook sink is on loopback.
    edge = await startWranglerDev({ vars: { ALLOW_PRIVATE_WEBHOOKS: 'true' } });
    const jwt = await signInAdmin(edge.url);
    await seedTenants(jwt, `http://127.0.0.1:${(sink.address() as AddressInfo).port}`);
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
          'list:receivers',
        ],
      }),
    });
    token = ((await created.json()) as { token: string }).token;
    httpConfig = path.join(workDir, 'http.yml');
    await writeFile(httpConfig, `authorization:\n  type: Bearer\n  credentials: ${token}\n`);
    teamHttpConfig = path.join(workDir, 'team-http.yml');
    await writeFile(teamHttpConfig, `authorization:\n  credentials: ${teamToken}\n`);
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
        '      - alert: E2ETeamAlert',
        '        expr: vector(1)',
        '        labels: {severity: warning, cluster: e2e-prom, namespace: team-web}',
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
    await new Promise((resolve) => sink?.close(resolve));
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

  it("amtool config routes show prints the tenant's own routing tree, and routes test agrees", async () => {
    expect(await teamAmtool('config', 'routes', 'show')).toBe(
      [
        'Routing tree:',
        '.',
        '└── default-route  receiver: (none)',
        '    └── {cluster="e2e-prom",namespace="team-web"}  continue: true  receiver: (none)',
        '        └── {severity=~"warning|critical"}  continue: true  receiver: team-oncall',
        '',
        '',
      ].join('\n'),
    );
    const routed = await teamAmtool(
      'config',
      'routes',
      'test',
      '--verify.receivers=team-oncall',
      'cluster=e2e-prom',
      'namespace=team-web',
      'severity=warning',
    );
    expect(routed.trim()).toBe('team-oncall');
    // The platform sees every owner's receivers; a matcher value with a quote and a backslash survives.
    const all = await amtool('config', 'routes', 'show');
    expect(all).toContain('{team="a\\"b\\\\c"}  continue: true  receiver: platform-ops');
    expect(all).toContain(
      '{cluster="e2e-prom",namespace="team-b-web"}  continue: true  receiver: (none)',
    );
    expect(all).toContain('receiver: b-secret');
    expect(all).toContain('receiver: team-oncall');
  });

  it('amtool alert query with a matcher shows the tenant only its own alerts', async () => {
    const names = async (query: (...args: string[]) => Promise<string>) =>
      (JSON.parse(await query('alert', 'query', '-o', 'json', 'alertname=~"E2E.*"')) as EdgeAlert[])
        .map((a) => a.labels.alertname)
        .sort();
    await eventually(
      'E2ETeamAlert at the edge',
      () => names(amtool),
      (n) => n.includes('E2ETeamAlert'),
    );
    expect(await names(amtool)).toEqual(['E2EAlwaysFiring', 'E2ETeamAlert']);
    expect(await names(teamAmtool)).toEqual(['E2ETeamAlert']);
    const extended = await teamAmtool('alert', 'query', 'namespace=team-web');
    expect(extended).toContain('E2ETeamAlert');
    expect(extended).not.toContain('E2EAlwaysFiring');
  });

  it('a tenant silences, queries and expires with amtool in its own namespace', async () => {
    const id = (
      await teamAmtool(
        'silence',
        'add',
        'alertname=E2ETeamAlert',
        'cluster=e2e-prom',
        'namespace=team-web',
        '--comment=team',
        '--author=team-admin',
        '--duration=1h',
      )
    ).trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(
      JSON.parse(await teamAmtool('alert', 'query', '-o', 'json', 'alertname=E2ETeamAlert')),
    ).toEqual([]);
    const listed = JSON.parse(await teamAmtool('silence', 'query', '-o', 'json')) as {
      id: string;
    }[];
    expect(listed.map((s) => s.id)).toEqual([id]);
    await teamAmtool('silence', 'expire', id);
    const expired = JSON.parse(await teamAmtool('silence', 'query', '--expired', '-o', 'json')) as {
      id: string;
      status: { state: string };
    }[];
    expect(expired.find((s) => s.id === id)?.status.state).toBe('expired');
  });

  it("the tenant's webhook hears its alert with externalURL at the edge and Prometheus's generatorURL", async () => {
    const payload = await eventually(
      'team-oncall notification',
      async () => hooked.find((p) => p.receiver === 'team-oncall'),
      (p) => p !== undefined,
    );
    expect(payload?.externalURL).toBe(edge.url);
    expect(payload?.alerts.map((a) => a.labels.alertname)).toEqual(['E2ETeamAlert']);
    expect(payload?.alerts[0]?.generatorURL).toMatch(/^http:\/\/.+\/graph\?g0\.expr=vector/);
    expect(hooked.map((p) => p.receiver)).not.toContain('b-secret');
  });

  it('the tenant reads its receivers and alert groups, shaped as Alertmanager answers', async () => {
    const get = async (p: string) => (await bearerFetch(edge.url, teamToken, p)).json();
    expect(await get('/api/v2/receivers')).toEqual([{ name: '(none)' }, { name: 'team-oncall' }]);
    const groups = (await get('/api/v2/alerts/groups')) as {
      labels: Record<string, string>;
      receiver: { name: string };
      alerts: EdgeAlert[];
    }[];
    expect(groups).toEqual([
      expect.objectContaining({
        labels: { alertname: 'E2ETeamAlert' },
        receiver: { name: 'team-oncall' },
        alerts: [
          expect.objectContaining({ labels: expect.objectContaining({ namespace: 'team-web' }) }),
        ],
      }),
    ]);
  });
});
