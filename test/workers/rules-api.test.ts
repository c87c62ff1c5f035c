import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;

const clusterRules = '/api/v1/clusters/east/alerting/rules';
const webRules = '/api/v1/workspaces/alpha/namespaces/alpha-web/alerting/rules';
const fleetRules = '/api/v1/alerting/rules';

const rule = (over: Record<string, unknown> = {}) => ({
  name: 'TargetDown',
  expr: 'up == 0',
  for: '5m',
  severity: 'critical',
  labels: { team: 'ops' },
  annotations: { summary: '{{ $labels.instance }} is down' },
  ...over,
});

type Body = Record<string, unknown>;

beforeAll(async () => {
  fx = await seedFixture();
});

describe('cluster rules', () => {
  it('creates, lists, reads, replaces and deletes, audited', async () => {
    const created = await api('POST', clusterRules, fx.as('east-admin'), rule());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'TargetDown',
      level: 'cluster',
      cluster: 'east',
      expr: 'up == 0',
      for: '5m',
      keepFiringFor: '0s',
      interval: '1m',
      group: 'default',
      severity: 'critical',
      disabled: false,
      orphaned: false,
      createdBy: 'east-admin',
      evaluations: [{ cluster: 'east', health: 'unknown', state: 'inactive', activeAlerts: 0 }],
    });
    const list = await api('GET', clusterRules, fx.as('east-viewer'));
    expect(list.status).toBe(200);
    expect((list.body as { items: Body[] }).items.map((i) => i.name)).toEqual(['TargetDown']);
    expect((await api('GET', `${clusterRules}/TargetDown`, fx.as('east-viewer'))).status).toBe(200);
    const replaced = await api(
      'PUT',
      `${clusterRules}/TargetDown`,
      fx.as('east-admin'),
      rule({ expr: 'up{job="api"} == 0', for: '1h30m', keepFiringFor: '10m', interval: '30s' }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      expr: 'up{job="api"} == 0',
      for: '1h30m',
      keepFiringFor: '10m',
      interval: '30s',
      updatedBy: 'east-admin',
    });
    expect((await api('POST', clusterRules, fx.as('east-admin'), rule())).status).toBe(409);
    const renamed = await api(
      'PUT',
      `${clusterRules}/TargetDown`,
      fx.as('east-admin'),
      rule({ name: 'Other' }),
    );
    expect(renamed.status).toBe(400);
    expect((await api('DELETE', `${clusterRules}/TargetDown`, fx.as('east-admin'))).status).toBe(
      204,
    );
    expect((await api('GET', `${clusterRules}/TargetDown`, fx.as('east-admin'))).status).toBe(404);
    const audited = await env.DB.prepare(
      "SELECT verb, name, cluster, outcome FROM audit_events WHERE resource = 'alertrules' AND cluster = 'east' ORDER BY time",
    ).all<{ verb: string; name: string; outcome: string }>();
    expect(audited.results.map((r) => [r.verb, r.name, r.outcome])).toEqual(
      expect.arrayContaining([
        ['create', 'TargetDown', 'success'],
        ['update', 'TargetDown', 'success'],
        ['delete', 'TargetDown', 'success'],
      ]),
    );
  });

  it('pages like other lists', async () => {
    for (const n of ['A1', 'A2', 'A3'])
      expect((await api('POST', clusterRules, fx.as('east-admin'), rule({ name: n }))).status).toBe(
        201,
      );
    const first = await api('GET', `${clusterRules}?limit=2`, fx.as('east-admin'));
    const body = first.body as { items: Body[]; nextCursor?: string };
    expect(body.items.map((i) => i.name)).toEqual(['A1', 'A2']);
    const second = await api(
      'GET',
      `${clusterRules}?limit=2&cursor=${body.nextCursor}`,
      fx.as('east-admin'),
    );
    expect((second.body as { items: Body[] }).items.map((i) => i.name)).toEqual(['A3']);
    for (const n of ['A1', 'A2', 'A3'])
      await api('DELETE', `${clusterRules}/${n}`, fx.as('east-admin'));
  });

  it('refuses bad input with a clear 400', async () => {
    const bad = async (body: unknown) => api('POST', clusterRules, fx.as('east-admin'), body);
    const syntax = await bad(rule({ name: 'Broken', expr: 'sum(rate(up[5m])\n  by (job' }));
    expect(syntax.status).toBe(400);
    expect(syntax.body).toMatchObject({ code: 'invalid_promql', line: 2 });
    expect((syntax.body as { column: number }).column).toBeGreaterThan(0);
    expect((await bad({ ...rule(), surprise: true })).status).toBe(400);
    expect((await bad(rule({ for: '5 minutes' }))).status).toBe(400);
    expect((await bad(rule({ for: '8d' }))).status).toBe(400);
    expect((await bad(rule({ interval: '1s' }))).status).toBe(400);
    expect((await bad(rule({ severity: 'page' }))).status).toBe(400);
    expect((await bad(rule({ labels: { 'bad-name': 'x' } }))).status).toBe(400);
    expect((await bad(rule({ labels: { alertname: 'x' } }))).status).toBe(400);
    expect((await bad(rule({ labels: { edgetower_rule_id: 'x' } }))).status).toBe(400);
    expect((await bad(rule({ name: '../x' }))).status).toBe(400);
    expect((await bad(rule({ clusterSelector: { matchLabels: {} } }))).status).toBe(400);
    const notJson = await fetchWorker(clusterRules, {
      method: 'POST',
      headers: fx.as('east-admin'),
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('lets cluster admins write and cluster readers read; tenants neither; others 404', async () => {
    expect((await api('POST', clusterRules, fx.as('east-viewer'), rule())).status).toBe(403);
    expect((await api('GET', clusterRules, fx.as('alpha-admin'))).status).toBe(403);
    expect((await api('GET', clusterRules, fx.as('regular'))).status).toBe(404);
    expect((await api('POST', clusterRules, fx.as('regular'), rule())).status).toBe(404);
    expect(
      (await api('POST', clusterRules, fx.as('admin'), rule({ name: 'ByAdmin' }))).status,
    ).toBe(201);
    await api('DELETE', `${clusterRules}/ByAdmin`, fx.as('admin'));
  });
});

describe('namespace rules', () => {
  it('are written by namespace admins and operators, read by viewers', async () => {
    const created = await api('POST', webRules, fx.as('proj-operator'), rule({ name: 'WebDown' }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      level: 'namespace',
      cluster: 'east',
      workspace: 'alpha',
      namespace: 'alpha-web',
      expr: 'up == 0',
    });
    expect((await api('POST', webRules, fx.as('proj-viewer'), rule({ name: 'V' }))).status).toBe(
      403,
    );
    const list = await api('GET', webRules, fx.as('proj-viewer'));
    expect((list.body as { items: Body[] }).items.map((i) => i.name)).toEqual(['WebDown']);
    expect((await api('GET', `${webRules}?cluster=east`, fx.as('alpha-admin'))).status).toBe(200);
    expect(
      (
        await api(
          'PUT',
          `${webRules}/WebDown`,
          fx.as('proj-admin'),
          rule({ name: 'WebDown', expr: 'up < 1' }),
        )
      ).status,
    ).toBe(200);
  });

  it('refuses expressions that name another namespace, with line and column', async () => {
    const res = await api(
      'POST',
      webRules,
      fx.as('proj-admin'),
      rule({ name: 'Peek', expr: 'sum(up)\n  + sum(up{namespace="beta-web"})' }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'namespace_not_allowed', line: 2, column: 9 });
    const own = await api(
      'POST',
      webRules,
      fx.as('proj-admin'),
      rule({ name: 'Own', expr: 'up{namespace="alpha-web"} == 0' }),
    );
    expect(own.status).toBe(201);
  });

  it('refuses the labels that say whose alert it is', async () => {
    for (const label of ['namespace', 'workspace', 'cluster', 'severity', 'edgetower_rule_level']) {
      const res = await api(
        'POST',
        webRules,
        fx.as('proj-admin'),
        rule({ name: `L${label}`, labels: { [label]: 'beta-web' } }),
      );
      expect(res.status, label).toBe(400);
    }
  });
});

describe('fleet rules', () => {
  it('are platform admins only, with a cluster selector', async () => {
    const created = await api(
      'POST',
      fleetRules,
      fx.as('admin'),
      rule({ name: 'FleetDown', clusterSelector: { matchLabels: { env: 'prod' } } }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      level: 'fleet',
      cluster: null,
      clusterSelector: { matchLabels: { env: 'prod' } },
      evaluations: [],
    });
    expect((await api('POST', fleetRules, fx.as('east-admin'), rule({ name: 'X' }))).status).toBe(
      403,
    );
    expect((await api('GET', fleetRules, fx.as('east-admin'))).status).toBe(403);
    expect((await api('GET', `${fleetRules}/FleetDown`, fx.as('admin'))).status).toBe(200);
  });
});

describe('import and export in Prometheus rule-file format', () => {
  const file = `groups:
  - name: availability
    interval: 30s
    rules:
      - alert: ApiDown
        expr: up{job="api"} == 0
        for: 5m
        keep_firing_for: 2m
        labels:
          severity: critical
          team: api
        annotations:
          summary: "{{ $labels.instance }} down"
      - alert: Flapping
        expr: changes(up[10m]) > 3
  - name: latency
    rules:
      - alert: SlowRequests
        expr: histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m]))) > 1
        for: 10m
        labels:
          severity: info
`;
  const west = '/api/v1/clusters/west/alerting/rules';
  const yaml = (persona: Parameters<Fixture['as']>[0]) => ({
    ...fx.as(persona),
    'content-type': 'application/yaml',
  });

  it('imports a YAML file, exports it, and the export re-imports to the same rules', async () => {
    const imported = await fetchWorker(`${west}:import`, {
      method: 'POST',
      headers: yaml('admin'),
      body: file,
    });
    expect(imported.status).toBe(201);
    expect(await imported.json()).toMatchObject({ imported: 3, mode: 'merge' });
    const one = await api('GET', `${west}/ApiDown`, fx.as('admin'));
    expect(one.body).toMatchObject({
      group: 'availability',
      interval: '30s',
      for: '5m',
      keepFiringFor: '2m',
      severity: 'critical',
      labels: { team: 'api' },
    });
    expect((await api('GET', `${west}/Flapping`, fx.as('admin'))).body).toMatchObject({
      severity: 'warning',
    });
    const exported = await fetchWorker(`${west}?format=prometheus`, { headers: fx.as('admin') });
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/^application\/yaml/);
    const text = new TextDecoder().decode(await exported.arrayBuffer());
    expect(text).toContain('alert: ApiDown');
    // Round trip: import the export elsewhere (replace), export again: identical.
    const again = await fetchWorker(`${clusterRules}:import?mode=replace`, {
      method: 'POST',
      headers: yaml('admin'),
      body: text,
    });
    expect(again.status).toBe(201);
    const second = await fetchWorker(`${clusterRules}?format=prometheus`, {
      headers: fx.as('admin'),
    });
    expect(new TextDecoder().decode(await second.arrayBuffer())).toBe(text);
    const listed = await api('GET', clusterRules, fx.as('admin'));
    expect((listed.body as { items: Body[] }).items.map((i) => i.name)).toEqual([
      'ApiDown',
      'Flapping',
      'SlowRequests',
    ]);
  });

  it('takes JSON too, and merge keeps the other rules', async () => {
    const res = await api('POST', `${west}:import`, fx.as('admin'), {
      groups: [{ name: 'extra', rules: [{ alert: 'Extra', expr: 'vector(1)' }] }],
    });
    expect(res.status).toBe(201);
    const listed = await api('GET', west, fx.as('admin'));
    expect((listed.body as { items: Body[] }).items.map((i) => i.name)).toEqual([
      'ApiDown',
      'Extra',
      'Flapping',
      'SlowRequests',
    ]);
  });

  it('refuses recording rules by name, and names the group, rule, line and column of errors', async () => {
    const recording = await api('POST', `${west}:import`, fx.as('admin'), {
      groups: [
        {
          name: 'rec',
          rules: [
            { record: 'job:up:sum', expr: 'sum by (job) (up)' },
            { alert: 'Fine', expr: 'up == 0' },
          ],
        },
      ],
    });
    expect(recording.status).toBe(400);
    expect(recording.body).toMatchObject({ code: 'recording_rules_unsupported', group: 0 });
    expect((recording.body as { message: string }).message).toContain('job:up:sum');
    const broken = await api('POST', `${west}:import`, fx.as('admin'), {
      groups: [
        { name: 'ok', rules: [{ alert: 'Fine', expr: 'up == 0' }] },
        {
          name: 'bad',
          rules: [
            { alert: 'Ok2', expr: 'up' },
            { alert: 'Bad', expr: 'rate(up[5m]' },
          ],
        },
      ],
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ code: 'invalid_promql', group: 1, rule: 1, line: 1 });
    // All or nothing: the valid first group was not stored.
    expect((await api('GET', `${west}/Fine`, fx.as('admin'))).status).toBe(404);
    const severity = await api('POST', `${west}:import`, fx.as('admin'), {
      groups: [{ name: 'g', rules: [{ alert: 'S', expr: 'up', labels: { severity: 'page' } }] }],
    });
    expect(severity.status).toBe(400);
    expect(severity.body).toMatchObject({ group: 0, rule: 0 });
  });

  it('answers malformed YAML with 400 and its position', async () => {
    const res = await fetchWorker(`${west}:import`, {
      method: 'POST',
      headers: yaml('admin'),
      body: 'groups:\n  - name: a\n   rules: [',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_yaml', line: expect.any(Number) });
  });
});

describe('built-in rules', () => {
  const builtins = '/api/v1/clusters/east/alerting/builtin-rules';

  it('lists the catalogue with the edge-evaluated ones, on by default', async () => {
    const res = await api('GET', builtins, fx.as('east-viewer'));
    expect(res.status).toBe(200);
    const items = (res.body as { items: Body[] }).items;
    const names = items.map((i) => i.name);
    for (const name of [
      'KubeNodeNotReady',
      'KubeNodeMemoryPressure',
      'KubeNodeDiskPressure',
      'KubeNodePIDPressure',
      'NodeFilesystemAlmostOutOfSpace',
      'NodeFilesystemOutOfSpace',
      'KubePodCrashLooping',
      'KubePodNotReady',
      'KubeDeploymentReplicasMismatch',
      'KubeStatefulSetReplicasMismatch',
      'KubeDaemonSetNotScheduled',
      'KubeJobFailed',
      'KubePersistentVolumeFillingUp',
      'KubeContainerOOMKilled',
      'CPUThrottlingHigh',
      'KubeAPIErrorsHigh',
      'KubeClientCertificateExpiration',
      'NodeNotReady',
      'EdgeNodeOffline',
      'ClusterDisconnected',
      'AgentVersionSkew',
    ])
      expect(names, name).toContain(name);
    expect(items.every((i) => i.disabled === false)).toBe(true);
    expect(items.find((i) => i.name === 'ClusterDisconnected')).toMatchObject({
      evaluatedBy: 'edge',
    });
    expect(items.find((i) => i.name === 'NodeFilesystemAlmostOutOfSpace')).toMatchObject({
      evaluatedBy: 'agent',
      threshold: { value: 85, default: 85 },
      for: '30m',
      evaluation: { health: 'unknown' },
    });
  });

  it('lets cluster admins tune and switch them off (audited), others not', async () => {
    const path = `${builtins}/NodeFilesystemAlmostOutOfSpace`;
    const tuned = await api('PATCH', path, fx.as('east-admin'), {
      threshold: 80,
      for: '10m',
      severity: 'critical',
    });
    expect(tuned.status).toBe(200);
    expect(tuned.body).toMatchObject({
      threshold: { value: 80, default: 85 },
      for: '10m',
      severity: 'critical',
    });
    expect((tuned.body as { expr: string }).expr).toContain('> 80 ');
    const off = await api('PATCH', `${builtins}/KubeJobFailed`, fx.as('east-admin'), {
      disabled: true,
    });
    expect(off.body).toMatchObject({ disabled: true, evaluation: null });
    const reset = await api('PATCH', path, fx.as('east-admin'), { threshold: null, for: null });
    expect(reset.body).toMatchObject({
      threshold: { value: 85 },
      for: '30m',
      severity: 'critical',
    });
    expect((await api('PATCH', path, fx.as('east-viewer'), { disabled: true })).status).toBe(403);
    expect((await api('PATCH', path, fx.as('alpha-admin'), { disabled: true })).status).toBe(403);
    expect((await api('PATCH', path, fx.as('regular'), { disabled: true })).status).toBe(404);
    expect((await api('PATCH', path, fx.as('east-admin'), { threshold: 500 })).status).toBe(400);
    expect((await api('PATCH', path, fx.as('east-admin'), { bogus: 1 })).status).toBe(400);
    expect(
      (await api('PATCH', `${builtins}/KubeJobFailed`, fx.as('east-admin'), { threshold: 1 }))
        .status,
    ).toBe(400);
    const edge = await api('PATCH', `${builtins}/ClusterDisconnected`, fx.as('east-admin'), {
      disabled: true,
    });
    expect(edge.status).toBe(400);
    expect(edge.body).toMatchObject({ code: 'evaluated_by_edge' });
    expect((await api('GET', `${builtins}/Nope`, fx.as('east-admin'))).status).toBe(404);
    const audited = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE resource = 'builtinalertrules' AND cluster = 'east'",
    ).first<{ n: number }>();
    expect(audited?.n).toBeGreaterThanOrEqual(4);
  });
});

describe('OpenAPI', () => {
  it('documents every rules route', async () => {
    const doc = (await (await fetchWorker('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const base of [
      '/api/v1/alerting/rules',
      '/api/v1/clusters/{c}/alerting/rules',
      '/api/v1/workspaces/{ws}/namespaces/{ns}/alerting/rules',
    ]) {
      expect(Object.keys(doc.paths[base] ?? {}).sort()).toEqual(['get', 'post']);
      expect(Object.keys(doc.paths[`${base}/{name}`] ?? {}).sort()).toEqual([
        'delete',
        'get',
        'put',
      ]);
      expect(Object.keys(doc.paths[`${base}:import`] ?? {})).toEqual(['post']);
    }
    expect(
      Object.keys(doc.paths['/api/v1/clusters/{c}/alerting/builtin-rules/{name}'] ?? {}).sort(),
    ).toEqual(['get', 'patch']);
    for (const p of ['rules', 'alerts', 'query', 'query_range'])
      expect(doc.paths[`/api/v1/clusters/{c}/prometheus/api/v1/${p}`]?.get, p).toBeDefined();
  });
});
