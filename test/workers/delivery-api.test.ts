import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;
const secretYaml = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-very-secret
data:
  token: c2VjcmV0LXRva2Vu
`;

const body = (over: Record<string, unknown> = {}) => ({
  name: 'web',
  namespace: 'alpha-web',
  manifests: deployment,
  placement: { clusters: ['east'] },
  ...over,
});

beforeAll(async () => {
  fx = await seedFixture();
});

describe('apps: validation', () => {
  it('refuses broken YAML naming the document and line', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        name: 'broken',
        manifests: `${deployment}---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [unclosed\n  b: 1\n`,
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_yaml' });
    expect((res.body as { message: string }).message).toMatch(/document 1 .*line \d+/);
  });

  it('refuses cluster-scoped kinds with cluster_scoped_kind', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        manifests: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'x' },
          },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'cluster_scoped_kind' });
  });

  it('refuses an object in another namespace', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        manifests: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'beta-web' } },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'other_namespace' });
  });

  it('refuses a name that is not a DNS-1123 label, and objects without a name', async () => {
    const bad = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ name: 'Web_1' }),
    );
    expect(bad.status).toBe(400);
    const nameless = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        manifests: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }],
      }),
    );
    expect(nameless.status).toBe(400);
  });

  it('answers 413 for more than 1 MiB of manifests', async () => {
    const big = 'x'.repeat(600 * 1024);
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        manifests: [
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a' }, data: { a: big } },
          { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b' }, data: { b: big } },
        ],
      }),
    );
    expect(res.status).toBe(413);
  });

  it('refuses a patch that does not apply, naming the override', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        overrides: [
          {
            clusters: ['east'],
            patches: [
              {
                op: 'replace',
                path: '/spec/nothing/here',
                value: 1,
                kind: 'Deployment',
                name: 'web',
              },
            ],
          },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_override' });
  });
});

describe('apps: tenancy', () => {
  it('answers an unknown and an ungranted cluster alike', async () => {
    const db = env.DB;
    await db
      .prepare(
        "INSERT INTO clusters (id, name, labels, created_at) VALUES ('c-south', 'south', '{}', 0)",
      )
      .run();
    const unknown = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ placement: { clusters: ['nowhere'] } }),
    );
    const ungranted = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ placement: { clusters: ['south'] } }),
    );
    expect(unknown.status).toBe(400);
    expect(ungranted.status).toBe(400);
    expect((unknown.body as { code: string }).code).toBe((ungranted.body as { code: string }).code);
  });

  it("refuses another workspace's namespace with 409", async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ namespace: 'beta-web', name: 'steal' }),
    );
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'namespace_owned_by_other_workspace' });
  });

  it('lets a viewer read but not edit, and hides apps from other tenants', async () => {
    const created = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ name: 'seen' }),
    );
    expect(created.status).toBe(201);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/apps/seen', fx.as('alpha-viewer'))).status,
    ).toBe(200);
    const edit = await api(
      'PUT',
      '/api/v1/workspaces/alpha/apps/seen',
      fx.as('alpha-viewer'),
      body({ name: 'seen' }),
    );
    expect(edit.status).toBe(403);
    const viewerCreate = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-viewer'),
      body({ name: 'nope' }),
    );
    expect(viewerCreate.status).toBe(403);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/apps/seen', fx.as('beta-admin'))).status,
    ).toBe(404);
    expect((await api('GET', '/api/v1/workspaces/alpha/apps', fx.as('beta-admin'))).status).toBe(
      404,
    );
    expect(
      (await api('DELETE', '/api/v1/workspaces/alpha/apps/seen', fx.as('beta-admin'))).status,
    ).toBe(404);
    expect((await api('GET', '/api/v1/workspaces/beta/apps', fx.as('beta-admin'))).body).toEqual({
      items: [],
    });
  });

  it('lets a namespace operator edit apps in its namespace only', async () => {
    const own = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('proj-operator'),
      body({ name: 'ops' }),
    );
    expect(own.status).toBe(201);
    const elsewhere = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('proj-operator'),
      body({
        name: 'ops2',
        namespace: 'alpha-db',
        placement: { clusters: ['west'] },
      }),
    );
    expect(elsewhere.status).toBe(403);
    const viewer = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('proj-viewer'),
      body({ name: 'pv' }),
    );
    expect(viewer.status).toBe(403);
  });

  it('records the namespace for the workspace where it is missing', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        name: 'fresh',
        namespace: 'alpha-new',
        placement: { clusters: ['east', 'west'] },
      }),
    );
    expect(res.status).toBe(201);
    const rows = await env.DB.prepare(
      "SELECT c.name AS cluster FROM namespaces n JOIN clusters c ON c.id = n.cluster_id WHERE n.name = 'alpha-new' AND n.workspace_id = ? ORDER BY c.name",
    )
      .bind(fx.ids.workspaces.alpha)
      .all<{ cluster: string }>();
    expect(rows.results.map((r) => r.cluster)).toEqual(['east', 'west']);
  });
});

describe('apps: many clusters', () => {
  it('places an app on 120 clusters (D1 binds at most 100 parameters a statement)', async () => {
    const names: string[] = [];
    for (let i = 0; i < 120; i++) {
      const name = `bulk-${String(i).padStart(3, '0')}`;
      names.push(name);
      await env.DB.batch([
        env.DB.prepare(
          "INSERT INTO clusters (id, name, labels, created_at) VALUES (?, ?, '{}', 0)",
        ).bind(`c-${name}`, name),
        env.DB.prepare(
          "INSERT INTO workspace_clusters (workspace_id, cluster_id, granted_by, created_at) VALUES (?, ?, 'test', 0)",
        ).bind(fx.ids.workspaces.alpha, `c-${name}`),
      ]);
    }
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ name: 'wide', namespace: 'alpha-wide', placement: { clusters: names } }),
    );
    expect(res.status).toBe(201);
    const rows = await env.DB.prepare(
      "SELECT count(*) AS n FROM app_clusters ac JOIN apps a ON a.id = ac.app_id WHERE a.name = 'wide' AND ac.target_generation = 1",
    ).first<{ n: number }>();
    expect(rows?.n).toBe(120);
  }, 60_000);
});

describe('apps: lifecycle and secrets', () => {
  it('creates, lists, replaces (generation + 1) and audits', async () => {
    const created = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ name: 'life' }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'life',
      generation: 1,
      nodes: 'any',
      status: { phase: 'Degraded' },
    });
    const replaced = await api(
      'PUT',
      '/api/v1/workspaces/alpha/apps/life',
      fx.as('alpha-admin'),
      body({ name: 'life', nodes: 'edge' }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({
      generation: 2,
      nodes: 'edge',
      editor: { user: 'alpha-admin' },
    });
    const listed = await api('GET', '/api/v1/workspaces/alpha/apps', fx.as('alpha-viewer'));
    expect((listed.body as { items: { name: string }[] }).items.map((a) => a.name)).toContain(
      'life',
    );
    const audited = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_events WHERE resource = 'apps' AND name = 'life'",
    ).first<{ n: number }>();
    expect(audited?.n).toBeGreaterThanOrEqual(2);
    const again = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({ name: 'life' }),
    );
    expect(again.status).toBe(409);
  });

  it('stores Secrets encrypted and never returns their values', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/apps',
      fx.as('alpha-admin'),
      body({
        name: 'secret-app',
        manifests: `${deployment}---\n${secretYaml}`,
      }),
    );
    expect(res.status).toBe(201);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('c2VjcmV0LXRva2Vu');
    const secret = (res.body as { manifests: { kind: string; keys?: string[] }[] }).manifests.find(
      (m) => m.kind === 'Secret',
    );
    expect(secret?.keys).toEqual(['password', 'token']);
    const got = JSON.stringify(
      (await api('GET', '/api/v1/workspaces/alpha/apps/secret-app', fx.as('alpha-admin'))).body,
    );
    expect(got).not.toContain('hunter2');
    expect(got).not.toContain('sealed');
    const stored = await env.DB.prepare(
      "SELECT manifests FROM apps WHERE name = 'secret-app'",
    ).first<{ manifests: string }>();
    expect(stored?.manifests).not.toContain('hunter2');
    expect(stored?.manifests).not.toContain('c2VjcmV0LXRva2Vu');
    expect(stored?.manifests).toMatch(/"sealed":"v1\./);
  });

  it('is in the OpenAPI document', async () => {
    const res = await api('GET', '/openapi.json', {});
    const paths = (res.body as { paths?: Record<string, Record<string, unknown>> }).paths ?? {};
    expect(Object.keys(paths['/api/v1/workspaces/{ws}/apps'] ?? {}).sort()).toEqual([
      'get',
      'post',
    ]);
    expect(Object.keys(paths['/api/v1/workspaces/{ws}/apps/{app}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
  });
});
