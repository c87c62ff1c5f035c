import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { namespaces } from '../../db/schema';
import type { EvaluatedRule, RulesSyncFrame } from '../../protocol/rules';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { grantedCluster } from './support/delivery';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
let north: { id: string; joinToken: string };
let south: { id: string; joinToken: string };
let northAgent: TestAgent;
let southAgent: TestAgent;
const appsId = crypto.randomUUID();

/** The next rule set the edge sends after the `seen` first ones, within `ms`. */
async function nextSync(agent: TestAgent, seen: number, ms = 1000): Promise<RulesSyncFrame> {
  const deadline = Date.now() + ms;
  while (agent.rulesSyncs.length <= seen) {
    if (Date.now() > deadline) throw new Error(`no rules-sync within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return agent.rulesSyncs[seen] as RulesSyncFrame;
}

const allRules = (frame: RulesSyncFrame): EvaluatedRule[] => frame.groups.flatMap((g) => g.rules);
const ruleNamed = (frame: RulesSyncFrame, name: string) =>
  allRules(frame).find((r) => r.name === name);

const tunnel = (id: string) => env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(id));

beforeAll(async () => {
  fx = await seedFixture();
  north = await grantedCluster(fx, 'north', { env: 'prod', zone: 'n' });
  south = await grantedCluster(fx, 'south', { env: 'dev', zone: 's' });
  await createDb(env.DB).insert(namespaces).values({
    id: appsId,
    name: 'alpha-apps',
    workspaceId: fx.ids.workspaces.alpha,
    clusterId: north.id,
  });
});

describe('rules-sync through the tunnel', () => {
  it('sends every agent the whole rule set on hello, built-ins included', async () => {
    northAgent = await connectAgent(north.joinToken, 'north-leader');
    southAgent = await connectAgent(south.joinToken, 'south-leader');
    const frame = await nextSync(northAgent, 0);
    expect(frame.hash).toMatch(/^[0-9a-f]{64}$/);
    const builtin = frame.groups.find((g) => g.name === 'edgetower-builtin');
    expect(builtin?.intervalSeconds).toBe(60);
    expect(builtin?.rules.map((r) => r.id)).toContain('builtin:KubeNodeNotReady');
    expect(ruleNamed(frame, 'KubePodCrashLooping')).toMatchObject({
      level: 'builtin',
      forSeconds: 900,
      severity: 'warning',
      metrics: ['kube_pod_container_status_waiting_reason'],
    });
    // A second agent (a future leader) gets it too, and the same hash.
    const standby = await connectAgent(north.joinToken, 'north-standby');
    expect((await nextSync(standby, 0)).hash).toBe(frame.hash);
    standby.ws.close();
  });

  it('sends the new set within a second of a cluster rule edit', async () => {
    const seen = northAgent.rulesSyncs.length;
    const started = Date.now();
    const res = await api('POST', '/api/v1/clusters/north/alerting/rules', fx.as('admin'), {
      name: 'NorthDown',
      expr: 'up{job="north"} == 0',
      for: '2m',
      severity: 'critical',
      labels: { team: 'n' },
      group: 'availability',
      interval: '30s',
    });
    expect(res.status).toBe(201);
    const frame = await nextSync(northAgent, seen);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(frame.groups.find((g) => g.name === 'cluster/availability')).toMatchObject({
      intervalSeconds: 30,
      rules: [
        {
          name: 'NorthDown',
          level: 'cluster',
          expr: 'up{job="north"} == 0',
          forSeconds: 120,
          severity: 'critical',
          labels: { team: 'n' },
          metrics: ['up'],
        },
      ],
    });
    // The other cluster's set did not change: nothing was sent to it.
    expect(southAgent.rulesSyncs).toHaveLength(1);
  });

  it('applies built-in settings: off, tuned threshold, for and severity', async () => {
    let seen = northAgent.rulesSyncs.length;
    await api(
      'PATCH',
      '/api/v1/clusters/north/alerting/builtin-rules/KubeJobFailed',
      fx.as('admin'),
      {
        disabled: true,
      },
    );
    let frame = await nextSync(northAgent, seen);
    expect(ruleNamed(frame, 'KubeJobFailed')).toBeUndefined();
    seen = northAgent.rulesSyncs.length;
    await api(
      'PATCH',
      '/api/v1/clusters/north/alerting/builtin-rules/KubePersistentVolumeFillingUp',
      fx.as('admin'),
      { threshold: 90, for: '1m', severity: 'critical' },
    );
    frame = await nextSync(northAgent, seen);
    const pvc = ruleNamed(frame, 'KubePersistentVolumeFillingUp');
    expect(pvc).toMatchObject({ forSeconds: 60, severity: 'critical' });
    expect(pvc?.expr).toContain('> 90 and');
    expect(pvc?.metrics).toEqual([
      'kubelet_volume_stats_available_bytes',
      'kubelet_volume_stats_capacity_bytes',
      'kubelet_volume_stats_used_bytes',
    ]);
  });

  it('sends fleet rules to the clusters whose labels match, and follows label changes', async () => {
    const [n, s] = [northAgent.rulesSyncs.length, southAgent.rulesSyncs.length];
    const res = await api('POST', '/api/v1/alerting/rules', fx.as('admin'), {
      name: 'ProdOnly',
      expr: 'vector(1)',
      clusterSelector: { matchLabels: { env: 'prod' } },
    });
    expect(res.status).toBe(201);
    expect(ruleNamed(await nextSync(northAgent, n), 'ProdOnly')).toMatchObject({ level: 'fleet' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(southAgent.rulesSyncs).toHaveLength(s);
    // south becomes prod: the mutation's projection recompute recompiles its rules too.
    await env.DB.prepare('UPDATE clusters SET labels = ? WHERE id = ?')
      .bind(JSON.stringify({ env: 'prod' }), south.id)
      .run();
    await tunnel(south.id).pushRoleProjection();
    expect(ruleNamed(await nextSync(southAgent, s), 'ProdOnly')).toBeDefined();
  });

  it('scopes namespace rules and drops them when the namespace is unplaced (orphaned)', async () => {
    let seen = northAgent.rulesSyncs.length;
    const path = '/api/v1/workspaces/alpha/namespaces/alpha-apps/alerting/rules';
    const res = await api('POST', path, fx.as('alpha-admin'), {
      name: 'AppsErrors',
      expr: 'sum by (pod) (rate(http_errors_total[5m])) > 1',
      severity: 'warning',
      annotations: { summary: '{{ $labels.pod }} fails' },
    });
    expect(res.status).toBe(201);
    let frame = await nextSync(northAgent, seen);
    expect(ruleNamed(frame, 'AppsErrors')).toMatchObject({
      level: 'namespace',
      namespace: 'alpha-apps',
      workspace: 'alpha',
      expr: 'sum by (pod) (rate(http_errors_total{namespace="alpha-apps"}[5m])) > 1',
      metrics: ['http_errors_total'],
    });
    expect(frame.groups.map((g) => g.name)).toContain('namespace/alpha-apps/default');
    seen = northAgent.rulesSyncs.length;
    await env.DB.prepare('DELETE FROM namespaces WHERE id = ?').bind(appsId).run();
    await tunnel(north.id).pushRoleProjection();
    frame = await nextSync(northAgent, seen);
    expect(ruleNamed(frame, 'AppsErrors')).toBeUndefined();
    const listed = await api(
      'GET',
      '/api/v1/clusters/north/alerting/rules?level=namespace',
      fx.as('admin'),
    );
    expect((listed.body as { items: unknown[] }).items).toEqual([
      expect.objectContaining({ name: 'AppsErrors', namespace: 'alpha-apps', orphaned: true }),
    ]);
    // Placed back in its workspace: it applies again.
    seen = northAgent.rulesSyncs.length;
    await createDb(env.DB).insert(namespaces).values({
      id: appsId,
      name: 'alpha-apps',
      workspaceId: fx.ids.workspaces.alpha,
      clusterId: north.id,
    });
    await tunnel(north.id).pushRoleProjection();
    expect(ruleNamed(await nextSync(northAgent, seen), 'AppsErrors')).toBeDefined();
  });
});

describe('rules-health and the Prometheus API views', () => {
  let frame: RulesSyncFrame;

  beforeAll(async () => {
    frame = northAgent.rulesSyncs.at(-1) as RulesSyncFrame;
    const id = (name: string) => ruleNamed(frame, name)?.id ?? '';
    await northAgent.send({
      type: 'rules-health',
      hash: frame.hash,
      rules: [
        {
          id: id('NorthDown'),
          health: 'ok',
          lastEvaluation: '2026-12-03T10:00:00.000Z',
          evaluationMs: 4.5,
          samples: 2,
          state: 'firing',
          alerts: [
            {
              labels: { alertname: 'NorthDown', severity: 'critical', instance: 'a:9090' },
              annotations: {},
              state: 'firing',
              activeAt: '2026-12-03T09:50:00.000Z',
              value: '0e+00',
            },
            {
              labels: { alertname: 'NorthDown', severity: 'critical', instance: 'b:9090' },
              annotations: {},
              state: 'pending',
              activeAt: '2026-12-03T09:59:00.000Z',
              value: '0e+00',
            },
          ],
        },
        {
          id: id('AppsErrors'),
          health: 'ok',
          lastEvaluation: '2026-12-03T10:00:00.000Z',
          evaluationMs: 1,
          samples: 1,
          state: 'firing',
          alerts: [
            {
              labels: {
                alertname: 'AppsErrors',
                namespace: 'alpha-apps',
                workspace: 'alpha',
                pod: 'web-1',
              },
              annotations: { summary: 'web-1 fails' },
              state: 'firing',
              activeAt: '2026-12-03T09:55:00.000Z',
              value: '2e+00',
            },
          ],
        },
        {
          id: 'builtin:KubeNodeNotReady',
          health: 'unavailable',
          missingMetrics: ['kube_node_status_condition'],
          lastEvaluation: '2026-12-03T10:00:00.000Z',
          evaluationMs: 1,
          samples: 0,
          state: 'inactive',
          alerts: [],
        },
      ],
    });
  });

  it('shows each rule its last evaluation', async () => {
    const one = await api('GET', '/api/v1/clusters/north/alerting/rules/NorthDown', fx.as('admin'));
    expect((one.body as { evaluations: unknown }).evaluations).toEqual([
      {
        cluster: 'north',
        health: 'ok',
        lastError: null,
        missingMetrics: [],
        lastEvaluation: '2026-12-03T10:00:00.000Z',
        evaluationMs: 4.5,
        samples: 2,
        state: 'firing',
        activeAlerts: 2,
      },
    ]);
    const builtin = await api(
      'GET',
      '/api/v1/clusters/north/alerting/builtin-rules/KubeNodeNotReady',
      fx.as('admin'),
    );
    expect(builtin.body).toMatchObject({
      evaluation: { health: 'unavailable', missingMetrics: ['kube_node_status_condition'] },
    });
    const fleet = await api('GET', '/api/v1/alerting/rules/ProdOnly', fx.as('admin'));
    expect(
      (fleet.body as { evaluations: { cluster: string }[] }).evaluations.map((e) => e.cluster),
    ).toEqual(['north', 'south']);
  });

  it("answers /api/v1/rules in Prometheus' shape, with its filters", async () => {
    const res = await api('GET', '/api/v1/clusters/north/prometheus/api/v1/rules', fx.as('admin'));
    expect(res.status).toBe(200);
    const body = res.body as {
      status: string;
      data: {
        groups: {
          name: string;
          file: string;
          interval: number;
          rules: Record<string, unknown>[];
        }[];
      };
    };
    expect(body.status).toBe('success');
    const group = body.data.groups.find((g) => g.name === 'cluster/availability');
    expect(group).toMatchObject({ file: 'edgetower/cluster.yaml', interval: 30, limit: 0 });
    expect(group?.rules[0]).toEqual({
      state: 'firing',
      name: 'NorthDown',
      query: 'up{job="north"} == 0',
      duration: 120,
      keepFiringFor: 0,
      labels: { team: 'n', severity: 'critical' },
      annotations: {},
      alerts: [
        expect.objectContaining({
          state: 'firing',
          labels: expect.objectContaining({ instance: 'a:9090' }),
        }),
        expect.objectContaining({ state: 'pending' }),
      ],
      health: 'ok',
      lastError: '',
      evaluationTime: 0.0045,
      lastEvaluation: '2026-12-03T10:00:00.000Z',
      type: 'alerting',
    });
    const nodeRule = body.data.groups
      .flatMap((g) => g.rules)
      .find((r) => r.name === 'KubeNodeNotReady');
    expect(nodeRule).toMatchObject({
      health: 'err',
      lastError: expect.stringContaining('kube_node_status_condition'),
    });
    const never = body.data.groups.flatMap((g) => g.rules).find((r) => r.name === 'KubeJobFailed');
    expect(never).toBeUndefined(); // switched off for north
    const filtered = await api(
      'GET',
      '/api/v1/clusters/north/prometheus/api/v1/rules?rule_name[]=NorthDown&rule_name[]=ProdOnly',
      fx.as('admin'),
    );
    const names = (filtered.body as typeof body).data.groups.flatMap((g) =>
      g.rules.map((r) => r.name),
    );
    expect(names.sort()).toEqual(['NorthDown', 'ProdOnly']);
    const byGroup = await api(
      'GET',
      '/api/v1/clusters/north/prometheus/api/v1/rules?rule_group[]=cluster/availability&exclude_alerts=true',
      fx.as('admin'),
    );
    expect((byGroup.body as typeof body).data.groups).toHaveLength(1);
    expect((byGroup.body as typeof body).data.groups[0]?.rules[0]?.alerts).toEqual([]);
    const records = await api(
      'GET',
      '/api/v1/clusters/north/prometheus/api/v1/rules?type=record',
      fx.as('admin'),
    );
    expect((records.body as typeof body).data.groups).toEqual([]);
  });

  it('shows namespace members only their namespaces’ rules and alerts', async () => {
    const rules = await api(
      'GET',
      '/api/v1/clusters/north/prometheus/api/v1/rules',
      fx.as('alpha-admin'),
    );
    expect(rules.status).toBe(200);
    const groups = (
      rules.body as { data: { groups: { name: string; rules: { name: string }[] }[] } }
    ).data.groups;
    expect(groups.map((g) => g.name)).toEqual(['namespace/alpha-apps/default']);
    const alerts = await api(
      'GET',
      '/api/v1/clusters/north/prometheus/api/v1/alerts',
      fx.as('alpha-admin'),
    );
    expect(alerts.body).toEqual({
      status: 'success',
      data: {
        alerts: [
          expect.objectContaining({
            labels: expect.objectContaining({ alertname: 'AppsErrors', namespace: 'alpha-apps' }),
          }),
        ],
      },
    });
    const all = await api('GET', '/api/v1/clusters/north/prometheus/api/v1/alerts', fx.as('admin'));
    expect((all.body as { data: { alerts: unknown[] } }).data.alerts).toHaveLength(3);
    expect(
      (await api('GET', '/api/v1/clusters/north/prometheus/api/v1/rules', fx.as('beta-admin')))
        .status,
    ).toBe(404);
    expect(
      (await api('GET', '/api/v1/clusters/north/prometheus/api/v1/rules', fx.as('alpha-regular')))
        .status,
    ).toBe(403);
    expect(
      (await api('GET', '/api/v1/clusters/north/prometheus/api/v1/labels', fx.as('admin'))).status,
    ).toBe(404);
  });
});

describe('PromQL passthrough for namespace members, Grafana-shaped', () => {
  /** A Grafana data-source query: GET with query, time and a bearer token; the agent answers. */
  async function grafanaQuery(
    who: Parameters<Fixture['as']>[0],
    path: string,
  ): Promise<{ path: string; status: number; body: unknown }> {
    const pending = fetchWorker(path, {
      headers: { authorization: fx.as(who).authorization as string, accept: 'application/json' },
    });
    const request = await northAgent.nextOf('request');
    await northAgent.send({
      type: 'response',
      id: request.id,
      status: 200,
      headers: [['content-type', 'application/json']],
    });
    await northAgent.sendData(
      request.id,
      '{"status":"success","data":{"resultType":"vector","result":[]}}',
    );
    await northAgent.send({ type: 'end', id: request.id });
    const res = await pending;
    return { path: request.path, status: res.status, body: await res.json() };
  }

  const q = (expr: string, extra = '') =>
    `/api/v1/clusters/north/prometheus/api/v1/query?query=${encodeURIComponent(expr)}&time=1733220000${extra}`;

  it('passes cluster readers through unscoped', async () => {
    const res = await grafanaQuery('admin', q('sum(up)'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'success' });
    expect(new URL(`https://x${res.path}`).searchParams.get('query')).toBe('sum(up)');
  });

  it('scopes a namespace member to their namespaces (or the one picked)', async () => {
    const res = await grafanaQuery('alpha-admin', q('sum(rate(http_requests_total[5m]))'));
    expect(res.status).toBe(200);
    const sent = new URL(`https://x${res.path}`);
    expect(sent.pathname).toBe('/api/v1/query');
    expect(sent.searchParams.get('query')).toBe(
      'sum(rate(http_requests_total{namespace="alpha-apps"}[5m]))',
    );
    expect(sent.searchParams.get('time')).toBe('1733220000');
    const range = `/api/v1/clusters/north/monitoring/api/v1/query_range?query=up&start=1&end=2&step=15&namespace=alpha-apps`;
    const ranged = await grafanaQuery('alpha-admin', range);
    const rangedSent = new URL(`https://x${ranged.path}`);
    expect(rangedSent.searchParams.get('query')).toBe('up{namespace="alpha-apps"}');
    expect(rangedSent.searchParams.has('namespace')).toBe(false);
  });

  it("takes Grafana's default POSTed form, scoped the same, sent upstream as a GET and not audited", async () => {
    const pending = fetchWorker('/api/v1/clusters/north/prometheus/api/v1/query', {
      method: 'POST',
      headers: {
        authorization: fx.as('alpha-admin').authorization as string,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ query: 'sum(up)', time: '1733220000' }).toString(),
    });
    const request = await northAgent.nextOf('request');
    expect(request.method).toBe('GET');
    const sent = new URL(`https://x${request.path}`);
    expect(sent.searchParams.get('query')).toBe('sum(up{namespace="alpha-apps"})');
    expect(sent.searchParams.get('time')).toBe('1733220000');
    await northAgent.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await northAgent.sendData(
      request.id,
      '{"status":"success","data":{"resultType":"vector","result":[]}}',
    );
    await northAgent.send({ type: 'end', id: request.id });
    expect((await pending).status).toBe(200);
    const audited = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE resource IN ('query', 'query_range')",
    ).first<{ n: number }>();
    expect(audited?.n).toBe(0);
    const refused = await fetchWorker('/api/v1/clusters/north/prometheus/api/v1/query', {
      method: 'POST',
      headers: {
        authorization: fx.as('alpha-admin').authorization as string,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ query: 'up{namespace="beta-web"}' }).toString(),
    });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ code: 'namespace_not_allowed' });
    // Forms are taken only on the query routes.
    const elsewhere = await fetchWorker('/api/v1/clusters/north/alerting/rules', {
      method: 'POST',
      headers: {
        authorization: fx.as('admin').authorization as string,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'name=x',
    });
    expect(elsewhere.status).toBe(415);
  });

  it('refuses another namespace with line and column, before anything reaches the cluster', async () => {
    const res = await api('GET', q('up{namespace="beta-web"}'), fx.as('alpha-admin'));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'namespace_not_allowed', line: 1, column: 1 });
    const picked = await api('GET', q('up', '&namespace=beta-web'), fx.as('alpha-admin'));
    expect(picked.status).toBe(404);
    expect((await api('GET', q('up'), fx.as('alpha-regular'))).status).toBe(403);
  });
});
