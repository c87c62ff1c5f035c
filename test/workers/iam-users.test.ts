import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { login } from './support/auth';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const items = <T = Record<string, unknown>>(body: unknown) => (body as { items: T[] }).items;
const bindingCount = async (subjectId: string) =>
  (
    await env.DB.prepare(
      'select count(*) as n from role_bindings where subject_id = ? or scope_id = ?',
    )
      .bind(subjectId, subjectId)
      .first<{ n: number }>()
  )?.n;

describe('users', () => {
  it('creates a user per the contract: 201, never a hash, can log in', async () => {
    const res = await api('POST', '/api/v1/users', fx.as('users-mgr'), {
      name: 'carol',
      password: 'correct-horse-9',
      email: 'carol@example.com',
      displayName: 'Carol',
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'carol',
      email: 'carol@example.com',
      displayName: 'Carol',
      platformRole: 'platform-regular',
      status: 'active',
    });
    expect(JSON.stringify(res.body)).not.toMatch(/pbkdf2|passwordHash|password/i);
    expect(await login('carol', 'correct-horse-9')).toMatch(/^ey/);
  });

  it('refuses escalation: a users-manager cannot make or touch platform admins', async () => {
    const mgr = fx.as('users-mgr');
    expect(
      (
        await api('POST', '/api/v1/users', mgr, {
          name: 'dave',
          password: 'long-password-1',
          platformRole: 'platform-admin',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api('POST', '/api/v1/users', mgr, {
          name: 'erin',
          password: 'long-password-1',
          platformRole: 'workspaces-manager',
        })
      ).status,
    ).toBe(403);
    expect(
      (await api('PUT', '/api/v1/users/p-admin', mgr, { password: 'taken-over-123' })).status,
    ).toBe(403);
    expect((await api('DELETE', '/api/v1/users/p-admin', mgr)).status).toBe(403);
    expect(
      (await api('PUT', '/api/v1/users/regular', mgr, { platformRole: 'users-manager' })).status,
    ).toBe(200);
    expect(
      (await api('PUT', '/api/v1/users/regular', mgr, { platformRole: 'platform-regular' })).status,
    ).toBe(200);
    const admin = await api('POST', '/api/v1/users', fx.as('p-admin'), {
      name: 'frank',
      password: 'long-password-1',
      platformRole: 'platform-admin',
    });
    expect(admin).toMatchObject({ status: 201, body: { platformRole: 'platform-admin' } });
  });

  it('others read only themselves and edit only their profile and password', async () => {
    const me = fx.as('alpha-viewer');
    expect((await api('GET', '/api/v1/users/alpha-viewer', me)).status).toBe(200);
    expect((await api('GET', '/api/v1/users/alpha-admin', me)).status).toBe(404);
    expect(items((await api('GET', '/api/v1/users', me)).body)).toHaveLength(1);
    const edit = await api('PUT', '/api/v1/users/alpha-viewer', me, {
      displayName: 'Viewer V',
      email: null,
    });
    expect(edit).toMatchObject({ status: 200, body: { displayName: 'Viewer V', email: null } });
    expect(
      (await api('PUT', '/api/v1/users/alpha-viewer', me, { platformRole: 'platform-admin' }))
        .status,
    ).toBe(403);
    expect(
      (await api('PUT', '/api/v1/users/alpha-viewer', me, { password: 'alpha-viewer-again' }))
        .status,
    ).toBe(400);
    expect((await api('DELETE', '/api/v1/users/alpha-viewer', me)).status).toBe(403);
    // workspaces-manager may read users (to add members), not change them
    expect((await api('GET', '/api/v1/users/alpha-admin', fx.as('ws-mgr'))).status).toBe(200);
    expect(
      (await api('PUT', '/api/v1/users/alpha-admin', fx.as('ws-mgr'), { displayName: 'x' })).status,
    ).toBe(403);
  });

  it('deleting a user deletes its role bindings; the last admin and yourself are kept', async () => {
    const victim = fx.ids.users['proj-viewer'];
    expect(await bindingCount(victim)).toBe(1);
    expect((await api('DELETE', '/api/v1/users/proj-viewer', fx.as('users-mgr'))).status).toBe(204);
    expect(await bindingCount(victim)).toBe(0);
    expect((await api('GET', '/api/v1/users/proj-viewer', fx.as('users-mgr'))).status).toBe(404);
    expect((await api('DELETE', '/api/v1/users/p-admin', fx.as('p-admin'))).status).toBe(409);
    expect((await api('DELETE', '/api/v1/users/frank', fx.as('p-admin'))).status).toBe(204);
    expect((await api('DELETE', '/api/v1/users/admin', fx.as('p-admin'))).status).toBe(204);
    // p-admin is now the last platform admin
    expect(
      (
        await api('PUT', '/api/v1/users/p-admin', fx.as('p-admin'), {
          platformRole: 'platform-regular',
        })
      ).status,
    ).toBe(409);
  });

  it('pages users by name with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await api(
        'GET',
        `/api/v1/users?limit=4${cursor ? `&cursor=${cursor}` : ''}`,
        fx.as('p-admin'),
      );
      const page = res.body as { items: { name: string }[]; nextCursor?: string };
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((u) => u.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['alpha-admin', 'carol', 'p-admin', 'ws-mgr']));
    const all = await api('GET', '/api/v1/users?limit=200', fx.as('p-admin'));
    expect(items(all.body).map((u) => u.name)).toEqual(seen);
  });
});

describe('/me', () => {
  it('shows the platform role and every binding with names', async () => {
    const res = await api('GET', '/api/v1/me', fx.as('proj-admin'));
    expect(res.body).toMatchObject({
      user: { name: 'proj-admin' },
      platformRole: 'platform-regular',
      groups: [],
      bindings: [
        {
          level: 'namespace',
          role: 'admin',
          workspace: 'alpha',
          cluster: 'east',
          namespace: 'alpha-web',
        },
      ],
    });
    const cluster = await api('GET', '/api/v1/me', fx.as('east-viewer'));
    expect(cluster.body).toMatchObject({
      bindings: [{ level: 'cluster', cluster: 'east', role: 'cluster-viewer' }],
    });
    expect((await api('GET', '/api/v1/me', fx.as('users-mgr'))).body).toMatchObject({
      platformRole: 'users-manager',
      bindings: [],
    });
  });
});

describe('workspaces', () => {
  it('are created by platform admins and workspaces-managers, with an optional admin', async () => {
    const res = await api('POST', '/api/v1/workspaces', fx.as('ws-mgr'), {
      name: 'gamma',
      description: 'third',
      admin: 'regular',
    });
    expect(res).toMatchObject({
      status: 201,
      body: { name: 'gamma', description: 'third', createdBy: 'ws-mgr' },
    });
    expect(
      (await api('GET', '/api/v1/workspaces/gamma/members', fx.as('regular'))).body,
    ).toMatchObject({
      items: [{ user: 'regular', role: 'workspace-admin' }],
    });
    for (const persona of ['regular', 'users-mgr', 'alpha-admin', 'east-admin'] as const)
      expect(
        (await api('POST', '/api/v1/workspaces', fx.as(persona), { name: 'delta' })).status,
        persona,
      ).toBe(403);
    const names = items<{ name: string }>(
      (await api('GET', '/api/v1/workspaces', fx.as('ws-mgr'))).body,
    ).map((w) => w.name);
    expect(names).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('deleting a workspace deletes its groups, placements, roles and every binding into it', async () => {
    const admin = fx.as('p-admin');
    expect(
      (
        await api('POST', '/api/v1/workspaces', admin, {
          name: 'doomed',
          admin: 'regular',
          clusters: ['west'],
        })
      ).status,
    ).toBe(201);
    const as = fx.as('regular');
    expect(
      (
        await api('POST', '/api/v1/workspaces/doomed/groups', as, {
          name: 'g',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/v1/workspaces/doomed/groups/g/members', as, { user: 'carol' }))
        .status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/doomed/namespaces', as, {
          cluster: 'west',
          name: 'doomed-ns',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/doomed/namespaces/doomed-ns/members', as, {
          user: 'carol',
          role: 'viewer',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/doomed/roles', as, {
          name: 'r',
          rules: [{ verbs: ['get'], resources: ['quotas'] }],
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/v1/workspaces/doomed/members', as, { user: 'carol', role: 'r' }))
        .status,
    ).toBe(201);
    const count = async () =>
      (await env.DB.prepare('select count(*) as n from role_bindings').first<{ n: number }>())?.n ??
      0;
    const before = await count();
    expect((await api('DELETE', '/api/v1/workspaces/doomed', as)).status).toBe(204);
    expect(before - (await count())).toBe(4); // regular (admin), group g, carol in doomed-ns, carol as r
    for (const table of ['groups', 'roles', 'namespaces'])
      expect(
        (
          await env.DB.prepare(
            `select count(*) as n from ${table} where name in ('g', 'r', 'doomed-ns')`,
          ).first<{ n: number }>()
        )?.n,
        table,
      ).toBe(0);
    expect((await api('GET', '/api/v1/workspaces/doomed', admin)).status).toBe(404);
    // the name is free again
    expect((await api('POST', '/api/v1/workspaces', admin, { name: 'doomed' })).status).toBe(201);
  });

  it('deleting a group deletes its binding and memberships', async () => {
    const admin = fx.as('alpha-admin');
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/groups', admin, {
          name: 'temp',
          role: 'workspace-regular',
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/v1/workspaces/alpha/groups/temp/members', admin, { user: 'carol' }))
        .status,
    ).toBe(201);
    const groupId =
      (await env.DB.prepare("select id from groups where name = 'temp'").first<{ id: string }>())
        ?.id ?? '';
    expect(await bindingCount(groupId)).toBe(1);
    expect((await api('DELETE', '/api/v1/workspaces/alpha/groups/temp', admin)).status).toBe(204);
    expect(await bindingCount(groupId)).toBe(0);
    expect(
      (
        await env.DB.prepare('select count(*) as n from group_members where group_id = ?')
          .bind(groupId)
          .first<{ n: number }>()
      )?.n,
    ).toBe(0);
  });
});

describe('OpenAPI', () => {
  it('documents every IAM route from the same zod schemas', async () => {
    const doc = (await (await fetchWorker('/openapi.json')).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const expected: Record<string, string[]> = {
      '/api/v1/me': ['get'],
      '/api/v1/users': ['get', 'post'],
      '/api/v1/users/{name}': ['get', 'put', 'delete'],
      '/api/v1/workspaces': ['get', 'post'],
      '/api/v1/workspaces/{ws}': ['get', 'put', 'delete'],
      '/api/v1/workspaces/{ws}/members': ['get', 'post'],
      '/api/v1/workspaces/{ws}/members/{user}': ['get', 'put', 'delete'],
      '/api/v1/workspaces/{ws}/groups': ['get', 'post'],
      '/api/v1/workspaces/{ws}/groups/{group}': ['get', 'put', 'delete'],
      '/api/v1/workspaces/{ws}/groups/{group}/members': ['get', 'post'],
      '/api/v1/workspaces/{ws}/groups/{group}/members/{user}': ['delete'],
      '/api/v1/workspaces/{ws}/namespaces': ['get', 'post'],
      '/api/v1/workspaces/{ws}/namespaces/{ns}': ['get', 'delete'],
      '/api/v1/workspaces/{ws}/namespaces/{ns}/members': ['get', 'post'],
      '/api/v1/workspaces/{ws}/namespaces/{ns}/members/{user}': ['get', 'put', 'delete'],
      '/api/v1/roles': ['get'],
      '/api/v1/workspaces/{ws}/roles': ['get', 'post'],
      '/api/v1/workspaces/{ws}/roles/{role}': ['get', 'put', 'delete'],
      '/api/v1/clusters/{c}/members': ['get', 'post'],
      '/api/v1/clusters/{c}/members/{user}': ['get', 'put', 'delete'],
      '/api/v1/audit': ['get'],
    };
    for (const [path, methods] of Object.entries(expected))
      expect(Object.keys(doc.paths[path] ?? {}), path).toEqual(expect.arrayContaining(methods));
  });
});

describe('scale of one user', () => {
  it('a user bound in 150 namespaces lists them all (no id lists past D1’s parameter limit)', async () => {
    const ws = fx.ids.workspaces.beta;
    const cluster = fx.ids.clusters.west;
    const user = fx.ids.users['east-viewer'];
    const statements = [];
    for (let i = 0; i < 150; i++) {
      const id = crypto.randomUUID();
      statements.push(
        env.DB.prepare(
          'insert into namespaces (id, cluster_id, name, workspace_id, created_at) values (?, ?, ?, ?, ?)',
        ).bind(id, cluster, `bulk-${String(i).padStart(3, '0')}`, ws, Date.now()),
        env.DB.prepare(
          "insert into role_bindings (id, scope_type, scope_id, subject_type, subject_id, role, created_at) values (?, 'namespace', ?, 'user', ?, 'viewer', ?)",
        ).bind(crypto.randomUUID(), id, user, Date.now()),
      );
    }
    await env.DB.batch(statements);
    const as = fx.as('east-viewer');
    // east-viewer's token predates the bindings; the principal is loaded per request
    expect(
      items<{ name: string }>((await api('GET', '/api/v1/workspaces', as)).body).map((w) => w.name),
    ).toEqual(['beta']);
    const first = await api('GET', '/api/v1/workspaces/beta/namespaces?limit=200', as);
    const names = items<{ name: string }>(first.body).map((n) => n.name);
    // its 150 namespaces in west, plus beta-web in east where it is cluster-viewer
    expect(names).toHaveLength(151);
    expect(names).toContain('beta-web');
    expect(names).not.toContain('beta-db');
    const me = (await api('GET', '/api/v1/me', as)).body as { bindings: { level: string }[] };
    expect(me.bindings.filter((b) => b.level === 'namespace')).toHaveLength(150);
  });
});
