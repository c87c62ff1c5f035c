import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const names = (body: unknown) =>
  (body as { items: { name?: string; user?: string }[] }).items.map((i) => i.name ?? i.user);

describe('workspace-admin manages its workspace', () => {
  it('adds, re-roles and removes members; creates groups, roles and placements; edits the workspace', async () => {
    const as = fx.as('alpha-admin');
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', as, {
          user: 'regular',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(201);
    const changed = await api('PUT', '/api/v1/workspaces/alpha/members/regular', as, {
      role: 'workspace-regular',
    });
    expect(changed).toMatchObject({
      status: 200,
      body: { user: 'regular', role: 'workspace-regular' },
    });
    expect((await api('GET', '/api/v1/workspaces/alpha/members/regular', as)).body).toMatchObject({
      role: 'workspace-regular',
    });
    expect((await api('DELETE', '/api/v1/workspaces/alpha/members/regular', as)).status).toBe(204);
    expect((await api('GET', '/api/v1/workspaces/alpha/members/regular', as)).status).toBe(404);
    expect((await api('POST', '/api/v1/workspaces/alpha/groups', as, { name: 'ops' })).status).toBe(
      201,
    );
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/roles', as, {
          name: 'all-powerful',
          rules: [{ verbs: ['*'], resources: ['*'] }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/namespaces', as, {
          cluster: 'east',
          name: 'alpha-api',
        })
      ).status,
    ).toBe(201);
    const ws = await api('PUT', '/api/v1/workspaces/alpha', as, { description: 'team alpha' });
    expect(ws).toMatchObject({ status: 200, body: { name: 'alpha', description: 'team alpha' } });
    // ...but is no platform role: no new workspaces, no users.
    expect((await api('POST', '/api/v1/workspaces', as, { name: 'alpha2' })).status).toBe(403);
    expect(
      (await api('POST', '/api/v1/users', as, { name: 'newbie', password: 'long-enough-pw' }))
        .status,
    ).toBe(403);
  });
});

describe('workspace-viewer reads only', () => {
  const reads = [
    '/api/v1/workspaces/alpha',
    '/api/v1/workspaces/alpha/members',
    '/api/v1/workspaces/alpha/members/alpha-admin',
    '/api/v1/workspaces/alpha/groups',
    '/api/v1/workspaces/alpha/groups/devs/members',
    '/api/v1/workspaces/alpha/namespaces',
    '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
    '/api/v1/workspaces/alpha/roles',
    '/api/v1/workspaces/alpha/roles/workspace-admin',
  ];
  const writes: [string, string, unknown?][] = [
    ['PUT', '/api/v1/workspaces/alpha', { description: 'x' }],
    ['DELETE', '/api/v1/workspaces/alpha'],
    ['POST', '/api/v1/workspaces/alpha/members', { user: 'regular', role: 'workspace-viewer' }],
    ['PUT', '/api/v1/workspaces/alpha/members/alpha-regular', { role: 'workspace-admin' }],
    ['DELETE', '/api/v1/workspaces/alpha/members/alpha-regular'],
    ['POST', '/api/v1/workspaces/alpha/groups', { name: 'mine' }],
    ['PUT', '/api/v1/workspaces/alpha/groups/devs', { role: 'workspace-admin' }],
    ['DELETE', '/api/v1/workspaces/alpha/groups/devs'],
    ['POST', '/api/v1/workspaces/alpha/groups/devs/members', { user: 'regular' }],
    ['POST', '/api/v1/workspaces/alpha/namespaces', { cluster: 'east', name: 'viewer-ns' }],
    ['DELETE', '/api/v1/workspaces/alpha/namespaces/alpha-web'],
    [
      'POST',
      '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
      { user: 'regular', role: 'viewer' },
    ],
    [
      'POST',
      '/api/v1/workspaces/alpha/roles',
      { name: 'r', rules: [{ verbs: ['get'], resources: ['members'] }] },
    ],
  ];
  it.each(reads)('GET %s -> 200', async (path) => {
    expect((await api('GET', path, fx.as('alpha-viewer'))).status).toBe(200);
  });
  it.each(writes)('%s %s -> 403', async (method, path, body) => {
    const res = await api(method, path, fx.as('alpha-viewer'), body);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'forbidden' });
  });
});

describe('workspace-regular and self-provisioner', () => {
  it('a regular member sees the members but not the projects it was not invited to', async () => {
    const as = fx.as('alpha-regular');
    expect((await api('GET', '/api/v1/workspaces/alpha/members', as)).status).toBe(200);
    expect((await api('GET', '/api/v1/workspaces/alpha/namespaces', as)).body).toEqual({
      items: [],
    });
    expect((await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-web', as)).status).toBe(
      404,
    );
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/namespaces', as, {
          cluster: 'east',
          name: 'reg-ns',
        })
      ).status,
    ).toBe(403);
  });

  it('a self-provisioner creates a project and becomes its admin, and only of that one', async () => {
    const as = fx.as('alpha-prov');
    const created = await api('POST', '/api/v1/workspaces/alpha/namespaces', as, {
      cluster: 'west',
      name: 'prov-ns',
    });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'prov-ns', cluster: 'west', workspace: 'alpha', createdBy: 'alpha-prov' },
    });
    expect(names((await api('GET', '/api/v1/workspaces/alpha/namespaces', as)).body)).toEqual([
      'prov-ns',
    ]);
    const members = await api('GET', '/api/v1/workspaces/alpha/namespaces/prov-ns/members', as);
    expect(members.body).toMatchObject({ items: [{ user: 'alpha-prov', role: 'admin' }] });
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/namespaces/prov-ns/members', as, {
          user: 'regular',
          role: 'viewer',
        })
      ).status,
    ).toBe(201);
    expect((await api('DELETE', '/api/v1/workspaces/alpha/namespaces/alpha-web', as)).status).toBe(
      404,
    );
    expect((await api('DELETE', '/api/v1/workspaces/alpha/namespaces/prov-ns', as)).status).toBe(
      204,
    );
  });
});

describe('project roles scope to one namespace', () => {
  it('project admin manages its namespace members; operator and viewer read them', async () => {
    expect(
      (
        await api(
          'POST',
          '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
          fx.as('proj-admin'),
          { user: 'regular', role: 'operator' },
        )
      ).status,
    ).toBe(201);
    for (const persona of ['proj-operator', 'proj-viewer'] as const) {
      const list = await api(
        'GET',
        '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
        fx.as(persona),
      );
      expect(names(list.body)).toEqual(['proj-admin', 'proj-operator', 'proj-viewer', 'regular']);
      const write = await api(
        'DELETE',
        '/api/v1/workspaces/alpha/namespaces/alpha-web/members/regular',
        fx.as(persona),
      );
      expect(write.status, persona).toBe(403);
    }
    expect(
      (
        await api(
          'DELETE',
          '/api/v1/workspaces/alpha/namespaces/alpha-web/members/regular',
          fx.as('proj-admin'),
        )
      ).status,
    ).toBe(204);
  });

  it('a project role does not reach sibling namespaces or the workspace', async () => {
    const as = fx.as('proj-admin');
    expect((await api('GET', '/api/v1/workspaces/alpha', as)).status).toBe(200);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-db/members', as)).status,
    ).toBe(404);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', as, {
          user: 'regular',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(404);
    expect((await api('DELETE', '/api/v1/workspaces/alpha', as)).status).toBe(404);
  });

  it('a project admin cannot hand out more than project roles', async () => {
    const res = await api(
      'POST',
      '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
      fx.as('proj-admin'),
      {
        user: 'regular',
        role: 'workspace-admin',
      },
    );
    expect(res.status).toBe(400);
  });
});

describe('cluster members', () => {
  it('cluster-admin manages its cluster members, cluster-viewer reads them, others do not see the cluster', async () => {
    expect(
      (
        await api('POST', '/api/v1/clusters/east/members', fx.as('east-admin'), {
          user: 'regular',
          role: 'cluster-viewer',
        })
      ).status,
    ).toBe(201);
    expect(
      names((await api('GET', '/api/v1/clusters/east/members', fx.as('east-viewer'))).body),
    ).toEqual(['east-admin', 'east-viewer', 'regular']);
    expect(
      (await api('DELETE', '/api/v1/clusters/east/members/regular', fx.as('east-viewer'))).status,
    ).toBe(403);
    expect(
      (await api('DELETE', '/api/v1/clusters/east/members/regular', fx.as('east-admin'))).status,
    ).toBe(204);
    expect((await api('GET', '/api/v1/clusters/west/members', fx.as('east-admin'))).status).toBe(
      404,
    );
    expect((await api('GET', '/api/v1/clusters/east/members', fx.as('alpha-admin'))).status).toBe(
      404,
    );
    // workspaces-manager manages workspace membership, not cluster membership
    expect(
      (
        await api('POST', '/api/v1/clusters/east/members', fx.as('ws-mgr'), {
          user: 'regular',
          role: 'cluster-admin',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api('POST', '/api/v1/clusters/west/members', fx.as('p-admin'), {
          user: 'regular',
          role: 'cluster-admin',
        })
      ).status,
    ).toBe(201);
  });
});

describe('groups carry role bindings to their members', () => {
  it('a group member inherits the group role, gains with it, and loses it on removal', async () => {
    const dev = fx.as('alpha-dev');
    expect((await api('GET', '/api/v1/workspaces/alpha/members', dev)).status).toBe(200);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', dev, {
          user: 'regular',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(403);
    const me = await api('GET', '/api/v1/me', dev);
    expect(me.body).toMatchObject({
      groups: ['edgetower:alpha:devs'],
      bindings: [
        { level: 'workspace', workspace: 'alpha', role: 'workspace-viewer', viaGroup: 'devs' },
      ],
    });

    const admin = fx.as('alpha-admin');
    expect(
      (await api('PUT', '/api/v1/workspaces/alpha/groups/devs', admin, { role: 'workspace-admin' }))
        .status,
    ).toBe(200);
    expect((await api('GET', '/api/v1/workspaces/alpha/groups/devs', admin)).body).toMatchObject({
      role: 'workspace-admin',
    });
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', dev, {
          user: 'regular',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(201);

    expect(
      (await api('DELETE', '/api/v1/workspaces/alpha/groups/devs/members/alpha-dev', admin)).status,
    ).toBe(204);
    expect((await api('GET', '/api/v1/workspaces/alpha', dev)).status).toBe(404);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/groups/devs/members', admin, {
          user: 'alpha-dev',
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('PUT', '/api/v1/workspaces/alpha/groups/devs', admin, { role: null })).status,
    ).toBe(200);
    expect((await api('GET', '/api/v1/workspaces/alpha', dev)).status).toBe(404);
    expect(
      (
        await api('PUT', '/api/v1/workspaces/alpha/groups/devs', admin, {
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(200);
    expect((await api('GET', '/api/v1/workspaces/alpha', dev)).status).toBe(200);
  });
});

describe('custom roles and escalation', () => {
  it('a custom role grants exactly its rules, and its holder cannot grant beyond them', async () => {
    const admin = fx.as('alpha-admin');
    const rules = [{ verbs: ['*'], resources: ['members', 'roles'] }];
    const created = await api('POST', '/api/v1/workspaces/alpha/roles', admin, {
      name: 'member-keeper',
      rules,
    });
    expect(created).toMatchObject({
      status: 201,
      body: { name: 'member-keeper', builtin: false, rules },
    });
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', admin, {
          user: 'beta-viewer',
          role: 'member-keeper',
        })
      ).status,
    ).toBe(201);

    const keeper = fx.as('beta-viewer');
    expect((await api('GET', '/api/v1/workspaces/alpha/members', keeper)).status).toBe(200);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', keeper, {
          user: 'east-viewer',
          role: 'member-keeper',
        })
      ).status,
    ).toBe(201);
    // workspace-admin allows more than the keeper may do: refused
    const up = await api('PUT', '/api/v1/workspaces/alpha/members/east-viewer', keeper, {
      role: 'workspace-admin',
    });
    expect(up.status).toBe(403);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/roles', keeper, {
          name: 'narrow',
          rules: [{ verbs: ['get'], resources: ['members'] }],
        })
      ).status,
    ).toBe(201);
    const wide = await api('POST', '/api/v1/workspaces/alpha/roles', keeper, {
      name: 'wide',
      rules: [{ verbs: ['*'], resources: ['*'] }],
    });
    expect(wide.status).toBe(403);
    // cannot widen an existing role either
    const widen = await api('PUT', '/api/v1/workspaces/alpha/roles/narrow', keeper, {
      rules: [{ verbs: ['*'], resources: ['namespaces'] }],
    });
    expect(widen.status).toBe(403);
    // lists show only what the role reaches: no namespaces
    expect((await api('GET', '/api/v1/workspaces/alpha/namespaces', keeper)).body).toEqual({
      items: [],
    });
    // nor in beta, where its role is only viewer
    expect(
      (
        await api('POST', '/api/v1/workspaces/beta/members', keeper, {
          user: 'regular',
          role: 'workspace-viewer',
        })
      ).status,
    ).toBe(403);
  });

  it('roles in use cannot be deleted; built-ins are read-only', async () => {
    const admin = fx.as('alpha-admin');
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/roles', admin, {
          name: 'temp',
          rules: [{ verbs: ['get'], resources: ['quotas'] }],
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', admin, {
          user: 'users-mgr',
          role: 'temp',
        })
      ).status,
    ).toBe(201);
    expect((await api('DELETE', '/api/v1/workspaces/alpha/roles/temp', admin)).status).toBe(409);
    expect((await api('DELETE', '/api/v1/workspaces/alpha/members/users-mgr', admin)).status).toBe(
      204,
    );
    expect((await api('DELETE', '/api/v1/workspaces/alpha/roles/temp', admin)).status).toBe(204);
    expect((await api('GET', '/api/v1/workspaces/alpha/roles/temp', admin)).status).toBe(404);
    expect(
      (
        await api('PUT', '/api/v1/workspaces/alpha/roles/workspace-admin', admin, {
          description: 'x',
        })
      ).status,
    ).toBe(403);
    expect(
      (await api('DELETE', '/api/v1/workspaces/alpha/roles/workspace-viewer', admin)).status,
    ).toBe(403);
    const list = await api('GET', '/api/v1/workspaces/alpha/roles?limit=200', admin);
    const listed = names(list.body);
    expect(listed).toEqual([...listed].sort());
    expect(listed).toEqual(
      expect.arrayContaining([
        'workspace-admin',
        'workspace-regular',
        'workspace-self-provisioner',
        'workspace-viewer',
      ]),
    );
  });

  it('platform roles are listed read-only for those who may read roles', async () => {
    const res = await api('GET', '/api/v1/roles', fx.as('users-mgr'));
    expect(names(res.body)).toEqual([
      'platform-admin',
      'platform-regular',
      'users-manager',
      'workspaces-manager',
    ]);
    expect((await api('GET', '/api/v1/roles', fx.as('regular'))).status).toBe(403);
  });
});

describe('joining a group is granting its role', () => {
  it('a group keeper cannot put anyone into a group whose role exceeds its own rights', async () => {
    const admin = fx.as('alpha-admin');
    const keeperRules = [{ verbs: ['*'], resources: ['groups'] }];
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/roles', admin, {
          name: 'group-keeper',
          rules: keeperRules,
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/members', admin, {
          user: 'beta-admin',
          role: 'group-keeper',
        })
      ).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/groups', admin, {
          name: 'admins',
          role: 'workspace-admin',
        })
      ).status,
    ).toBe(201);
    const keeper = fx.as('beta-admin');
    const join = await api('POST', '/api/v1/workspaces/alpha/groups/admins/members', keeper, {
      user: 'beta-admin',
    });
    expect(join.status).toBe(403);
    const bindRole = await api('POST', '/api/v1/workspaces/alpha/groups', keeper, {
      name: 'sneaky',
      role: 'workspace-admin',
    });
    expect(bindRole.status).toBe(403);
    expect(
      (await api('POST', '/api/v1/workspaces/alpha/groups', keeper, { name: 'plain' })).status,
    ).toBe(201);
    expect(
      (
        await api('POST', '/api/v1/workspaces/alpha/groups/plain/members', keeper, {
          user: 'beta-admin',
        })
      ).status,
    ).toBe(201);
    const upgrade = await api('PUT', '/api/v1/workspaces/alpha/groups/plain', keeper, {
      role: 'workspace-admin',
    });
    expect(upgrade.status).toBe(403);
    expect((await api('GET', '/api/v1/workspaces/alpha/groups/plain', keeper)).body).toMatchObject({
      role: null,
    });
  });
});
