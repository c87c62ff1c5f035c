import { env } from 'cloudflare:workers';
import { desc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { auditEvents } from '../../db/schema';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, seedFixture } from './support/fixture';
import { matrix, paramsOf, serveRequests } from './support/monitoring-agent';

let fx: Fixture;
let agent: TestAgent;
let server: ReturnType<typeof serveRequests>;

const clusterBase = '/api/v1/clusters/east/monitoring/dashboards';
const nsBase = '/api/v1/workspaces/alpha/namespaces/alpha-web/monitoring/dashboards';
const q = '?cluster=east';

const panel = (query: string, extra: Record<string, unknown> = {}) => ({
  title: 'CPU',
  query,
  ...extra,
});

/** Prometheus as the fake agent answers: 7 series, or a 422 for queries with "boom". */
function prometheus(query: string) {
  if (query.includes('boom'))
    return { status: 422, body: { status: 'error', errorType: 'execution', error: 'boom' } };
  const values = (v: number): [number, string][] => [
    [1000, String(v)],
    [1060, String(v + 1)],
  ];
  return {
    status: 200,
    body: matrix(
      [1, 7, 3, 5, 2, 6, 4].map((v) => ({ metric: { pod: `p${v}` }, values: values(v) })),
    ),
  };
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-agent');
  server = serveRequests(agent, (frame) =>
    frame.target === 'prometheus'
      ? prometheus(paramsOf(frame).get('query') ?? '')
      : { status: 404, body: { kind: 'Status', message: 'not here' } },
  );
});
afterAll(async () => {
  await server.stop();
});

describe('cluster dashboards', () => {
  it('cluster admins create, readers read, nobody else even sees them', async () => {
    const created = await api('POST', clusterBase, fx.as('east-admin'), {
      name: 'overview',
      title: 'Overview',
      panels: [panel('sum(rate(container_cpu_usage_seconds_total[5m]))', { unit: 'cores' })],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'overview',
      cluster: 'east',
      namespace: null,
      mayEdit: true,
      panels: [{ id: expect.stringMatching(/^[a-z0-9]+$/), unit: 'cores', range: '1h' }],
    });
    const viewer = await api('GET', `${clusterBase}/overview`, fx.as('east-viewer'));
    expect(viewer.status).toBe(200);
    expect(viewer.body).toMatchObject({ mayEdit: false });
    for (const who of ['alpha-admin', 'proj-admin', 'regular', 'beta-viewer'] as const) {
      expect((await api('GET', clusterBase, fx.as(who))).status).toBe(404);
      expect((await api('GET', `${clusterBase}/overview`, fx.as(who))).status).toBe(404);
      expect((await api('DELETE', `${clusterBase}/overview`, fx.as(who))).status).toBe(404);
    }
  });

  it('viewers may not write (403), and every write is audited', async () => {
    const body = { name: 'mine', title: 'Mine', panels: [] };
    const post = await api('POST', clusterBase, fx.as('east-viewer'), body);
    expect(post.status).toBe(403);
    const put = await api('PUT', `${clusterBase}/overview`, fx.as('east-viewer'), {
      title: 'x',
      panels: [],
    });
    expect(put.status).toBe(403);
    expect((await api('DELETE', `${clusterBase}/overview`, fx.as('east-viewer'))).status).toBe(403);
    const rows = await createDb(env.DB)
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.resource, 'dashboards'))
      .orderBy(desc(auditEvents.time));
    expect(rows.map((r) => [r.user, r.verb, r.name, r.cluster, r.outcome])).toEqual(
      expect.arrayContaining([
        ['east-admin', 'create', 'overview', 'east', 'success'],
        ['east-viewer', 'create', 'mine', 'east', 'denied'],
        ['east-viewer', 'delete', 'overview', 'east', 'denied'],
      ]),
    );
  });

  it('refuses bad bodies: unknown fields, too many panels, bad names, bad PromQL with line and column', async () => {
    const admin = fx.as('east-admin');
    const unknown = await api('POST', clusterBase, admin, {
      name: 'x',
      title: 'x',
      panels: [],
      owner: 'me',
    });
    expect(unknown.status).toBe(400);
    const nested = await api('POST', clusterBase, admin, {
      name: 'x',
      title: 'x',
      panels: [{ ...panel('up'), colour: 'red' }],
    });
    expect(nested.status).toBe(400);
    const many = Array.from({ length: 31 }, () => panel('up'));
    expect(
      (await api('POST', clusterBase, admin, { name: 'x', title: 'x', panels: many })).status,
    ).toBe(400);
    expect(
      (await api('POST', clusterBase, admin, { name: 'Bad_Name', title: 'x', panels: [] })).status,
    ).toBe(400);
    expect(
      (
        await api('POST', clusterBase, admin, {
          name: 'x',
          title: 'x',
          panels: [panel('up', { unit: 'furlongs' })],
        })
      ).status,
    ).toBe(400);
    const bad = await api('POST', clusterBase, admin, {
      name: 'x',
      title: 'x',
      panels: [panel('up'), panel('sum(rate(x[5m])\n  by (pod')],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: 'invalid_promql',
      fields: [{ path: 'panels.1.query', message: expect.stringMatching(/^line 2, column \d+: /) }],
    });
    expect((await api('POST', clusterBase, admin, '{"name":')).status).toBe(400);
    const taken = await api('POST', clusterBase, admin, {
      name: 'overview',
      title: 'x',
      panels: [],
    });
    expect(taken.status).toBe(409);
  });

  it('orders by position then name; PUT keeps panel ids, refuses a rename', async () => {
    const admin = fx.as('east-admin');
    await api('POST', clusterBase, admin, { name: 'aaa', title: 'A', position: 5, panels: [] });
    await api('POST', clusterBase, admin, { name: 'zzz', title: 'Z', position: 1, panels: [] });
    const list = await api('GET', clusterBase, fx.as('east-viewer'));
    const names = (list.body as { items: { name: string }[] }).items.map((d) => d.name);
    expect(names.indexOf('zzz')).toBeLessThan(names.indexOf('aaa'));
    const before = (await api('GET', `${clusterBase}/overview`, admin)).body as {
      panels: { id: string; title: string; query: string }[];
    };
    const kept = before.panels[0]!;
    const put = await api('PUT', `${clusterBase}/overview`, admin, {
      title: 'Overview 2',
      panels: [{ ...kept, unit: 'percent' }, panel('up', { id: 'forged1' })],
    });
    expect(put.status).toBe(200);
    const after = put.body as { title: string; panels: { id: string }[] };
    expect(after.title).toBe('Overview 2');
    expect(after.panels[0]!.id).toBe(kept.id);
    expect(after.panels[1]!.id).not.toBe('forged1');
    const renamed = await api('PUT', `${clusterBase}/overview`, admin, {
      name: 'other',
      title: 'x',
      panels: [],
    });
    expect(renamed.status).toBe(400);
  });

  it('runs every panel as query_range through the tunnel: top lines kept, failures per panel', async () => {
    const admin = fx.as('east-admin');
    await api('POST', clusterBase, admin, {
      name: 'run',
      title: 'Run',
      panels: [panel('sum by (pod) (rate(x[5m]))', { range: '6h' }), panel('boom_metric')],
    });
    const data = await api('GET', `${clusterBase}/run/data`, fx.as('east-viewer'));
    expect(data.status).toBe(200);
    const [ok, failed] = (data.body as { panels: Record<string, unknown>[] }).panels;
    expect(ok).toMatchObject({ step: 360, omitted: 1, error: null });
    const series = (ok as { series: { labels: { pod: string }; points: number[][] }[] }).series;
    expect(series.map((s) => s.labels.pod)).toEqual(['p7', 'p6', 'p5', 'p4', 'p3', 'p2']);
    expect(series[0]!.points).toEqual([
      [1000, 7],
      [1060, 8],
    ]);
    expect(failed).toMatchObject({ series: [], error: { code: 'query_failed' } });
    const request = server.seen.find(
      (f) => paramsOf(f).get('query') === 'sum by (pod) (rate(x[5m]))',
    );
    expect(request?.path).toMatch(/^\/api\/v1\/query_range\?/);
    expect(request?.impersonate).toBeUndefined();
    expect((await api('GET', `${clusterBase}/run/data`, fx.as('alpha-admin'))).status).toBe(404);
  });

  it('deletes (then 404)', async () => {
    const admin = fx.as('east-admin');
    expect((await api('DELETE', `${clusterBase}/zzz`, admin)).status).toBe(204);
    expect((await api('GET', `${clusterBase}/zzz`, admin)).status).toBe(404);
    expect((await api('DELETE', `${clusterBase}/zzz`, admin)).status).toBe(404);
  });
});

describe('namespace dashboards', () => {
  it('namespace admins and operators write, viewers read, other tenants see nothing', async () => {
    const created = await api('POST', `${nsBase}${q}`, fx.as('proj-operator'), {
      name: 'web',
      title: 'Web',
      panels: [panel('sum(rate(container_cpu_usage_seconds_total[5m])) by (pod)')],
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      workspace: 'alpha',
      namespace: 'alpha-web',
      cluster: 'east',
    });
    expect((await api('GET', `${nsBase}/web${q}`, fx.as('proj-viewer'))).status).toBe(200);
    expect((await api('GET', `${nsBase}/web`, fx.as('alpha-viewer'))).status).toBe(200);
    expect(
      (await api('PUT', `${nsBase}/web${q}`, fx.as('proj-viewer'), { title: 'x', panels: [] }))
        .status,
    ).toBe(403);
    expect((await api('DELETE', `${nsBase}/web${q}`, fx.as('proj-viewer'))).status).toBe(403);
    for (const who of ['beta-admin', 'beta-viewer', 'regular', 'alpha-regular'] as const) {
      expect((await api('GET', `${nsBase}${q}`, fx.as(who))).status).toBe(404);
      expect((await api('GET', `${nsBase}/web${q}`, fx.as(who))).status).toBe(404);
      expect((await api('GET', `${nsBase}/web/data${q}`, fx.as(who))).status).toBe(404);
    }
    // Another workspace's path to the same namespace name finds nothing either.
    const beta =
      '/api/v1/workspaces/beta/namespaces/alpha-web/monitoring/dashboards/web?cluster=east';
    expect((await api('GET', beta, fx.as('beta-admin'))).status).toBe(404);
  });

  it('refuses a query that names another namespace (400 with line and column)', async () => {
    const res = await api('POST', `${nsBase}${q}`, fx.as('proj-admin'), {
      name: 'sneaky',
      title: 'x',
      panels: [panel('sum(up)\n + sum(kube_pod_info{namespace="beta-web"})')],
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({
      code: 'namespace_not_allowed',
      fields: [{ path: 'panels.0.query', message: expect.stringMatching(/^line 2, column \d+: /) }],
    });
    for (const query of ['up{namespace!="alpha-web"}', 'up{namespace=~"alpha-.*"}']) {
      const other = await api('POST', `${nsBase}${q}`, fx.as('proj-admin'), {
        name: 'sneaky',
        title: 'x',
        panels: [panel(query)],
      });
      expect(other.status).toBe(400);
    }
  });

  it('runs one panel by its id, pinned the same way', async () => {
    const web = (await api('GET', `${nsBase}/web${q}`, fx.as('proj-viewer'))).body as {
      panels: { id: string }[];
    };
    const id = web.panels[0]?.id ?? '';
    const one = await api('GET', `${nsBase}/web/panels/${id}/data${q}`, fx.as('proj-viewer'));
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ panel: { id }, error: null });
    expect(
      (await api('GET', `${nsBase}/web/panels/nope/data${q}`, fx.as('proj-viewer'))).status,
    ).toBe(404);
    expect(
      (await api('GET', `${nsBase}/web/panels/${id}/data${q}`, fx.as('beta-admin'))).status,
    ).toBe(404);
  });

  it('runs namespace panels pinned to the namespace', async () => {
    const data = await api('GET', `${nsBase}/web/data${q}&range=15m`, fx.as('proj-viewer'));
    expect(data.status).toBe(200);
    expect((data.body as { panels: { step: number }[] }).panels[0]!.step).toBe(15);
    const sent = server.seen.map((f) => paramsOf(f).get('query'));
    expect(sent).toContain(
      'sum(rate(container_cpu_usage_seconds_total{namespace="alpha-web"}[5m])) by (pod)',
    );
  });
});
