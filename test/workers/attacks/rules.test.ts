/**
 * Tenant escapes through alerting rules and the PromQL passthrough (issue
 * #15): each case is an attack that must be refused, and what it would have
 * reached must not show up anywhere.
 */
import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../../db/client';
import { namespaces } from '../../../db/schema';
import { compileForClusterId } from '../../../functions/rules/compile';
import { api, type Fixture, fetchWorker, seedFixture } from '../support/fixture';

let fx: Fixture;
const alphaWeb = '/api/v1/workspaces/alpha/namespaces/alpha-web/alerting/rules';
const betaWeb = '/api/v1/workspaces/beta/namespaces/beta-web/alerting/rules';

const rule = (over: Record<string, unknown> = {}) => ({
  name: 'Probe',
  expr: 'up == 0',
  severity: 'warning',
  ...over,
});

const names = (body: unknown) => (body as { items: { name: string }[] }).items.map((i) => i.name);

beforeAll(async () => {
  fx = await seedFixture();
  expect(
    (await api('POST', betaWeb, fx.as('beta-admin'), rule({ name: 'BetaSecret' }))).status,
  ).toBe(201);
});

describe('namespace rules cannot read or route outside their namespace', () => {
  it('refuses an expression naming another namespace, however it is spelled', async () => {
    for (const expr of [
      'up{namespace="beta-web"}',
      'up{namespace!="alpha-web"}',
      'up{namespace=~"alpha-web|beta-web"}',
      'up{namespace=~".*"}',
      'rate(http_requests_total{namespace="beta-web"}[5m])',
      'max_over_time(up{namespace="beta-web"}[10m:1m])',
      'up + on() group_left up{"namespace"="beta-web"}',
      'up{namespace="\\x62eta-web"}',
    ]) {
      const res = await api('POST', alphaWeb, fx.as('proj-admin'), rule({ expr }));
      expect(res.status, expr).toBe(400);
      expect((res.body as { code: string }).code, expr).toBe('namespace_not_allowed');
      expect(res.body, expr).toMatchObject({
        line: expect.any(Number),
        column: expect.any(Number),
      });
    }
  });

  it('refuses rule labels that would route the alert to another tenant', async () => {
    for (const labels of [
      { namespace: 'beta-web' },
      { workspace: 'beta' },
      { cluster: 'west' },
      { edgetower_rule_level: 'cluster' },
      { alertname: 'BetaSecret' },
    ]) {
      const res = await api('POST', alphaWeb, fx.as('proj-admin'), rule({ labels }));
      expect(res.status, JSON.stringify(labels)).toBe(400);
    }
  });

  it('sends the agent only scoped expressions, with the namespace it must force', async () => {
    expect(
      (
        await api(
          'POST',
          alphaWeb,
          fx.as('proj-admin'),
          rule({ name: 'Relabel', expr: 'label_replace(up, "namespace", "beta-web", "", "")' }),
        )
      ).status,
    ).toBe(201);
    const frame = await compileForClusterId(createDb(env.DB), fx.ids.clusters.east);
    const sent = frame?.groups.flatMap((g) => g.rules).find((r) => r.name === 'Relabel');
    expect(sent).toMatchObject({
      expr: 'label_replace(up{namespace="alpha-web"}, "namespace", "beta-web", "", "")',
      namespace: 'alpha-web',
      workspace: 'alpha',
    });
  });

  it('refuses an import smuggling a rule for another namespace (all or nothing)', async () => {
    const smuggled = await api('POST', `${alphaWeb}:import`, fx.as('proj-admin'), {
      groups: [
        { name: 'fine', rules: [{ alert: 'Fine', expr: 'up == 0' }] },
        { name: 'evil', rules: [{ alert: 'Evil', expr: 'sum(up{namespace="beta-web"})' }] },
      ],
    });
    expect(smuggled.status).toBe(400);
    expect(smuggled.body).toMatchObject({ code: 'namespace_not_allowed', group: 1, rule: 0 });
    const labelled = await api('POST', `${alphaWeb}:import`, fx.as('proj-admin'), {
      groups: [
        { name: 'evil', rules: [{ alert: 'Evil', expr: 'up', labels: { namespace: 'beta-web' } }] },
      ],
    });
    expect(labelled.status).toBe(400);
    expect(labelled.body).toMatchObject({ group: 0, rule: 0 });
    expect(names((await api('GET', alphaWeb, fx.as('proj-admin'))).body)).not.toContain('Fine');
  });
});

describe('rights', () => {
  it('viewers cannot write; operators cannot reach other namespaces', async () => {
    expect((await api('POST', alphaWeb, fx.as('proj-viewer'), rule())).status).toBe(403);
    expect(
      (await api('POST', `${alphaWeb}:import`, fx.as('proj-viewer'), { groups: [] })).status,
    ).toBe(403);
    expect((await api('DELETE', `${alphaWeb}/Relabel`, fx.as('proj-viewer'))).status).toBe(403);
    expect((await api('POST', alphaWeb, fx.as('alpha-viewer'), rule())).status).toBe(403);
    const other = '/api/v1/workspaces/alpha/namespaces/alpha-db/alerting/rules';
    expect((await api('POST', other, fx.as('proj-operator'), rule())).status).toBe(404);
    const denied = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE resource = 'alertrules' AND outcome = 'denied'",
    ).first<{ n: number }>();
    expect(denied?.n).toBeGreaterThan(0);
  });

  it('another workspace reads 404, exactly like a namespace that does not exist', async () => {
    for (const path of [betaWeb, `${betaWeb}/BetaSecret`, `${betaWeb}?format=prometheus`]) {
      const res = await api('GET', path, fx.as('alpha-admin'));
      expect(res.status, path).toBe(404);
      const missing = await api('GET', path.replace('beta-web', 'no-such-ns'), fx.as('beta-admin'));
      expect(missing.status, path).toBe(404);
    }
    expect((await api('PUT', `${betaWeb}/BetaSecret`, fx.as('alpha-admin'), rule())).status).toBe(
      404,
    );
    expect((await api('DELETE', `${betaWeb}/BetaSecret`, fx.as('proj-admin'))).status).toBe(404);
  });

  it('fleet rules are for platform admins only', async () => {
    const fleet = rule({ name: 'Everywhere', clusterSelector: { matchLabels: {} } });
    for (const who of ['east-admin', 'alpha-admin', 'ws-mgr', 'regular'] as const) {
      const res = await api('POST', '/api/v1/alerting/rules', fx.as(who), fleet);
      expect([403, 404], who).toContain(res.status);
      const imported = await api('POST', '/api/v1/alerting/rules:import', fx.as(who), {
        groups: [{ name: 'g', rules: [{ alert: 'Everywhere', expr: 'up' }] }],
      });
      expect([403, 404], who).toContain(imported.status);
    }
    expect((await api('GET', '/api/v1/alerting/rules', fx.as('alpha-admin'))).status).toBe(403);
  });

  it('cluster rules and built-in settings are for that cluster’s admins', async () => {
    const path = '/api/v1/clusters/east/alerting/rules';
    expect((await api('POST', path, fx.as('alpha-admin'), rule())).status).toBe(403);
    expect((await api('POST', path, fx.as('beta-viewer'), rule())).status).toBe(403);
    expect(
      (await api('POST', '/api/v1/clusters/west/alerting/rules', fx.as('east-admin'), rule()))
        .status,
    ).toBe(404);
    expect(
      (
        await api(
          'PATCH',
          '/api/v1/clusters/east/alerting/builtin-rules/KubePodCrashLooping',
          fx.as('proj-admin'),
          {
            disabled: true,
          },
        )
      ).status,
    ).toBe(403);
  });
});

describe('a namespace that changes hands', () => {
  it('never shows the new workspace the old one’s rules, nor lets their names collide', async () => {
    const id = crypto.randomUUID();
    const db = createDb(env.DB);
    await db.insert(namespaces).values({
      id,
      name: 'handover',
      workspaceId: fx.ids.workspaces.alpha,
      clusterId: fx.ids.clusters.west,
    });
    const alphaPath = '/api/v1/workspaces/alpha/namespaces/handover/alerting/rules';
    expect(
      (await api('POST', alphaPath, fx.as('alpha-admin'), rule({ name: 'AlphaOnly' }))).status,
    ).toBe(201);
    // Unplaced from alpha, placed in beta (the namespace itself stays in the cluster).
    await env.DB.prepare('DELETE FROM namespaces WHERE id = ?').bind(id).run();
    await db.insert(namespaces).values({
      id: crypto.randomUUID(),
      name: 'handover',
      workspaceId: fx.ids.workspaces.beta,
      clusterId: fx.ids.clusters.west,
    });
    const betaPath = '/api/v1/workspaces/beta/namespaces/handover/alerting/rules';
    const listed = await api('GET', betaPath, fx.as('beta-admin'));
    expect(listed.status).toBe(200);
    expect(names(listed.body)).toEqual([]);
    expect((await api('GET', `${betaPath}/AlphaOnly`, fx.as('beta-admin'))).status).toBe(404);
    expect(
      (await api('POST', betaPath, fx.as('beta-admin'), rule({ name: 'AlphaOnly' }))).status,
    ).toBe(201);
    // alpha's rule is orphaned: not evaluated, so no alert of it lands in beta's namespace.
    const frame = await compileForClusterId(db, fx.ids.clusters.west);
    const sent = frame?.groups.flatMap((g) => g.rules).filter((r) => r.name === 'AlphaOnly');
    expect(sent).toEqual([expect.objectContaining({ workspace: 'beta', namespace: 'handover' })]);
  });
});

describe('the PromQL passthrough and Prometheus API views', () => {
  it('refuses a namespace member’s query reaching another namespace, before the tunnel', async () => {
    for (const query of [
      'up{namespace="beta-web"}',
      'up{namespace=~".+"}',
      'count by (namespace) ({namespace!=""})',
    ]) {
      const res = await api(
        'GET',
        `/api/v1/clusters/east/prometheus/api/v1/query?query=${encodeURIComponent(query)}`,
        fx.as('proj-viewer'),
      );
      expect(res.status, query).toBe(400);
      expect(res.body, query).toMatchObject({ code: 'namespace_not_allowed' });
    }
    const picked = await api(
      'GET',
      '/api/v1/clusters/east/monitoring/api/v1/query?query=up&namespace=beta-web',
      fx.as('proj-viewer'),
    );
    expect(picked.status).toBe(404);
  });

  it('shows a tenant no other tenant’s rules in /api/v1/rules', async () => {
    const res = await api(
      'GET',
      '/api/v1/clusters/east/prometheus/api/v1/rules',
      fx.as('alpha-admin'),
    );
    expect(res.status).toBe(200);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('BetaSecret');
    expect(text).not.toContain('KubeNodeNotReady'); // cluster-level rules are the cluster's
    expect(text).toContain('Relabel');
  });
});

describe('hostile bodies', () => {
  it('refuses bodies over 1 MiB with 413', async () => {
    const huge = `groups:\n  - name: g\n    rules:\n${'      - alert: A\n        expr: up\n'.repeat(40_000)}`;
    expect(huge.length).toBeGreaterThan(1024 * 1024);
    const res = await fetchWorker(`${alphaWeb}:import`, {
      method: 'POST',
      headers: { ...fx.as('proj-admin'), 'content-type': 'application/yaml' },
      body: huge,
    });
    expect(res.status).toBe(413);
    const json = await fetchWorker(alphaWeb, {
      method: 'POST',
      headers: fx.as('proj-admin'),
      body: JSON.stringify(rule({ annotations: { x: 'a'.repeat(1100 * 1024) } })),
    });
    expect(json.status).toBe(413);
  });

  it('refuses malformed YAML and alias bombs with 400', async () => {
    const post = (body: string) =>
      fetchWorker(`${alphaWeb}:import`, {
        method: 'POST',
        headers: { ...fx.as('proj-admin'), 'content-type': 'application/yaml' },
        body,
      });
    expect((await post('groups: [\n')).status).toBe(400);
    expect((await post(': : :')).status).toBe(400);
    expect((await post('groups: 1')).status).toBe(400);
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x","x"]',
      ...Array.from({ length: 8 }, (_, i) => {
        const p = i === 0 ? 'a' : `l${i - 1}`;
        return `l${i}: &l${i} [${Array(10).fill(`*${p}`).join(',')}]`;
      }),
      'groups: [*l7]',
    ].join('\n');
    const res = await post(bomb);
    expect(res.status).toBe(400);
    const doubled = await post('groups: []\ngroups: []\n');
    expect(doubled.status).toBe(400);
  });
});
