import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../../db/client';
import { monitoringDashboards } from '../../../db/schema';
import { connectAgent, type TestAgent } from '../support/agent-socket';
import { api, type Fixture, seedFixture } from '../support/fixture';
import { matrix, paramsOf, serveRequests } from '../support/monitoring-agent';

/*
 * Attacks on custom monitoring (#15): a namespace dashboard is a tenant's
 * window on the cluster's Prometheus, so nothing about it may widen what
 * the query reads or who sees it.
 */
let fx: Fixture;
let agent: TestAgent;
let server: ReturnType<typeof serveRequests>;
const nsBase = '/api/v1/workspaces/alpha/namespaces/alpha-web/monitoring/dashboards';

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-agent');
  server = serveRequests(agent, () => ({
    status: 200,
    body: matrix([{ metric: {}, values: [[1000, '1']] }]),
  }));
});
afterAll(async () => {
  await server.stop();
});

const sentQueries = () => server.seen.map((f) => paramsOf(f).get('query') ?? '');

describe('attack: a stored namespace query that escapes its namespace', () => {
  it('is scoped again when run: refused if it names another namespace, pinned otherwise', async () => {
    // Written straight into D1 (an older edge, a restore, a bug elsewhere): never trusted as scoped.
    await createDb(env.DB)
      .insert(monitoringDashboards)
      .values({
        scopeKey: `namespace:${fx.ids.clusters.east}:alpha-web`,
        clusterId: fx.ids.clusters.east,
        workspaceId: fx.ids.workspaces.alpha,
        namespace: 'alpha-web',
        name: 'tampered',
        title: 'Tampered',
        panels: [
          { id: 'a1', title: 'other tenant', query: 'sum(kube_secret_info{namespace="beta-web"})' },
          { id: 'a2', title: 'everything', query: 'count(up)' },
        ],
        updatedAt: new Date(),
      });
    const res = await api('GET', `${nsBase}/tampered/data?cluster=east`, fx.as('proj-viewer'));
    expect(res.status).toBe(200);
    const [other, all] = (res.body as { panels: { error: { code: string } | null }[] }).panels;
    expect(other?.error?.code).toBe('namespace_not_allowed');
    expect(all?.error).toBeNull();
    expect(sentQueries()).toContain('count(up{namespace="alpha-web"})');
    expect(sentQueries().some((q) => q.includes('beta-web'))).toBe(false);
    expect(sentQueries()).not.toContain('count(up)');
  });
});

describe("attack: dashboards left from a namespace's previous workspace", () => {
  it('stay with that workspace: the new owner of the name sees none of them', async () => {
    // alpha-web once belonged to beta (same cluster, same namespace name).
    await createDb(env.DB)
      .insert(monitoringDashboards)
      .values({
        scopeKey: `namespace:${fx.ids.clusters.east}:alpha-web`,
        clusterId: fx.ids.clusters.east,
        workspaceId: fx.ids.workspaces.beta,
        namespace: 'alpha-web',
        name: 'beta-secrets',
        title: "Beta's",
        panels: [],
        updatedAt: new Date(),
      });
    const list = await api('GET', `${nsBase}?cluster=east`, fx.as('proj-admin'));
    expect(list.status).toBe(200);
    const names = (list.body as { items: { name: string }[] }).items.map((d) => d.name);
    expect(names).not.toContain('beta-secrets');
    expect(
      (await api('GET', `${nsBase}/beta-secrets?cluster=east`, fx.as('proj-admin'))).status,
    ).toBe(404);
  });
});

describe('attack: a node name that is a path', () => {
  it('is refused before anything reaches the cluster', async () => {
    const before = server.seen.length;
    for (const name of ['..%2F..%2Fapi%2Fv1%2Fsecrets', 'a%2Fb', 'A_B', '%2e%2e']) {
      const res = await api(
        'GET',
        `/api/v1/clusters/east/nodes/${name}/metrics`,
        fx.as('east-admin'),
      );
      expect([400, 404]).toContain(res.status);
    }
    expect(server.seen.length).toBe(before);
  });
});

describe('attack: a viewer or another tenant writing dashboards', () => {
  it('is 403 for the namespace viewer and 404 for other tenants, and nothing is stored', async () => {
    const body = { name: 'mine', title: 'x', panels: [{ title: 't', query: 'up' }] };
    expect((await api('POST', `${nsBase}?cluster=east`, fx.as('proj-viewer'), body)).status).toBe(
      403,
    );
    expect((await api('POST', `${nsBase}?cluster=east`, fx.as('beta-admin'), body)).status).toBe(
      404,
    );
    expect((await api('POST', `${nsBase}?cluster=east`, fx.as('alpha-regular'), body)).status).toBe(
      404,
    );
    expect((await api('GET', `${nsBase}/mine?cluster=east`, fx.as('proj-admin'))).status).toBe(404);
  });
});
