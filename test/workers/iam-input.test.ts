import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

interface Family {
  path: string;
  /** A body that would succeed, with `name` at `nameField`. */
  valid: (name: string) => Record<string, unknown>;
  nameField: string;
  /** A name that already exists there (409). */
  taken: string;
  /** Whether the name is new (so reserved names are refused), not a reference to a user. */
  newName: boolean;
}

const families: Record<string, Family> = {
  users: {
    path: '/api/v1/users',
    valid: (name) => ({ name, password: 'long-password-1' }),
    nameField: 'name',
    taken: 'alpha-admin',
    newName: true,
  },
  workspaces: {
    path: '/api/v1/workspaces',
    valid: (name) => ({ name }),
    nameField: 'name',
    taken: 'alpha',
    newName: true,
  },
  'workspace members': {
    path: '/api/v1/workspaces/alpha/members',
    valid: (user) => ({ user, role: 'workspace-viewer' }),
    nameField: 'user',
    taken: 'alpha-admin',
    newName: false,
  },
  groups: {
    path: '/api/v1/workspaces/alpha/groups',
    valid: (name) => ({ name, role: 'workspace-viewer' }),
    nameField: 'name',
    taken: 'devs',
    newName: true,
  },
  'group members': {
    path: '/api/v1/workspaces/alpha/groups/devs/members',
    valid: (user) => ({ user }),
    nameField: 'user',
    taken: 'alpha-dev',
    newName: false,
  },
  namespaces: {
    path: '/api/v1/workspaces/alpha/namespaces',
    valid: (name) => ({ cluster: 'east', name }),
    nameField: 'name',
    taken: 'alpha-web',
    newName: true,
  },
  'project members': {
    path: '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
    valid: (user) => ({ user, role: 'viewer' }),
    nameField: 'user',
    taken: 'proj-admin',
    newName: false,
  },
  roles: {
    path: '/api/v1/workspaces/alpha/roles',
    valid: (name) => ({ name, rules: [{ verbs: ['get'], resources: ['members'] }] }),
    nameField: 'name',
    taken: 'existing',
    newName: true,
  },
  'cluster members': {
    path: '/api/v1/clusters/east/members',
    valid: (user) => ({ user, role: 'cluster-viewer' }),
    nameField: 'user',
    taken: 'east-admin',
    newName: false,
  },
};

const post = (path: string, headers: Record<string, string>, body: unknown) =>
  api('POST', path, headers, body);

describe.each(Object.entries(families))('bad input: %s', (_family, f) => {
  const admin = () => fx.as('p-admin');
  const expect400 = async (
    body: unknown,
    field?: string,
    codes = /^(bad_request|validation_failed)$/,
  ) => {
    const res = await post(f.path, admin(), body);
    expect(res.status, JSON.stringify(body)).toBe(400);
    expect(res.body).toMatchObject({
      code: expect.stringMatching(codes),
      requestId: expect.any(String),
    });
    if (field)
      expect((res.body as { fields: { path: string }[] }).fields.map((x) => x.path)).toContain(
        field,
      );
  };

  it('malformed JSON -> 400', async () => {
    await expect400(`{"${f.nameField}": `);
  });
  it('wrong types -> 400 naming the field', async () => {
    await expect400({ ...f.valid('ok-name'), [f.nameField]: 42 }, f.nameField);
    await expect400([f.valid('ok-name')]);
  });
  it('unknown fields -> 400', async () => {
    await expect400({ ...f.valid('ok-name'), isAdmin: true });
  });
  it('bad names -> 400', async () => {
    for (const name of ['Upper', 'under_score', '-lead', 'trail-', 'a'.repeat(64), '', 'dot.ted'])
      await expect400(f.valid(name), f.nameField);
  });
  if (f.newName)
    it('reserved names -> 400 (namespaces of the cluster and its platform: 409)', async () => {
      for (const name of ['admin', 'kube-system', 'default', 'system']) {
        if (f.path.endsWith('/namespaces') && ['kube-system', 'default'].includes(name)) {
          const res = await post(f.path, admin(), f.valid(name));
          expect(res).toMatchObject({ status: 409, body: { code: 'namespace_reserved' } });
          continue;
        }
        // Workspace and group names with a reserved prefix have their own code.
        await expect400(
          f.valid(name),
          f.nameField,
          /^(bad_request|validation_failed|name_reserved)$/,
        );
      }
    });
  it('missing or bad auth -> 401', async () => {
    const res = await post(f.path, { 'content-type': 'application/json' }, f.valid('ok-name'));
    expect(res).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    const forged = await post(
      f.path,
      { 'content-type': 'application/json', authorization: 'Bearer not.a.jwt' },
      f.valid('ok-name'),
    );
    expect(forged.status).toBe(401);
  });
  it('wrong content type -> 415', async () => {
    const res = await fetchWorker(f.path, {
      method: 'POST',
      headers: { ...admin(), 'content-type': 'text/plain' },
      body: JSON.stringify(f.valid('ok-name')),
    });
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({ code: 'unsupported_media_type' });
  });
  it('duplicates -> 409', async () => {
    if (f.taken === 'existing')
      expect((await post(f.path, admin(), f.valid('existing'))).status).toBe(201);
    const res = await post(f.path, admin(), f.valid(f.taken));
    expect(res).toMatchObject({ status: 409, body: { code: 'conflict' } });
  });
});

describe('bad input: references, updates and queries', () => {
  it('unknown users, roles and clusters are 400 on the field', async () => {
    const as = fx.as('p-admin');
    const cases: [string, unknown, string][] = [
      ['/api/v1/workspaces/alpha/members', { user: 'ghost', role: 'workspace-viewer' }, 'user'],
      ['/api/v1/workspaces/alpha/members', { user: 'regular', role: 'cluster-admin' }, 'role'],
      ['/api/v1/workspaces/alpha/members', { user: 'regular', role: 'constructor' }, 'role'],
      ['/api/v1/clusters/east/members', { user: 'regular', role: 'workspace-admin' }, 'role'],
      [
        '/api/v1/workspaces/alpha/namespaces/alpha-web/members',
        { user: 'regular', role: 'cluster-admin' },
        'role',
      ],
      ['/api/v1/workspaces/alpha/namespaces', { cluster: 'nowhere', name: 'ns1' }, 'cluster'],
      ['/api/v1/workspaces/alpha/groups', { name: 'g1', role: 'no-such-role' }, 'role'],
      ['/api/v1/workspaces/alpha/groups/devs/members', { user: 'ghost' }, 'user'],
      [
        '/api/v1/workspaces/alpha/roles',
        { name: 'r1', rules: [{ verbs: ['fly'], resources: ['members'] }] },
        'rules.0.verbs.0',
      ],
      [
        '/api/v1/workspaces/alpha/roles',
        { name: 'r1', rules: [{ verbs: ['get'], resources: ['secrets-of-beta'] }] },
        'rules.0.resources.0',
      ],
      ['/api/v1/workspaces/alpha/roles', { name: 'r1', rules: [] }, 'rules'],
      [
        '/api/v1/workspaces/alpha/roles',
        { name: 'workspace-admin', rules: [{ verbs: ['get'], resources: ['members'] }] },
        'name',
      ],
      ['/api/v1/users', { name: 'weak', password: 'short' }, 'password'],
      ['/api/v1/users', { name: 'weak', password: 'weak-is-in-it' }, 'password'],
      [
        '/api/v1/users',
        { name: 'bademail', password: 'long-password-1', email: 'not-an-email' },
        'email',
      ],
      [
        '/api/v1/users',
        { name: 'badrole', password: 'long-password-1', platformRole: 'god' },
        'platformRole',
      ],
      ['/api/v1/workspaces', { name: 'ws1', admin: 'ghost' }, 'admin'],
    ];
    for (const [path, body, field] of cases) {
      const res = await api('POST', path, as, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(
        (res.body as { fields?: { path: string }[] }).fields?.map((x) => x.path),
        path,
      ).toContain(field);
    }
  });

  it('updates validate too', async () => {
    const as = fx.as('p-admin');
    const cases: [string, string, unknown][] = [
      ['PUT', '/api/v1/workspaces/alpha', { name: 'renamed' }],
      ['PUT', '/api/v1/workspaces/alpha', { description: 7 }],
      [
        'PUT',
        '/api/v1/workspaces/alpha/members/alpha-admin',
        { role: 'workspace-admin', user: 'x' },
      ],
      ['PUT', '/api/v1/workspaces/alpha/members/alpha-admin', { role: 'not-a-role' }],
      ['PUT', '/api/v1/workspaces/alpha/groups/devs', { name: 'x' }],
      ['PUT', '/api/v1/users/regular', { name: 'x' }],
      ['PUT', '/api/v1/users/regular', { status: 'banned' }],
      ['PUT', '/api/v1/workspaces/alpha/roles/existing', { rules: [{ verbs: ['get'] }] }],
      ['PUT', '/api/v1/workspaces/alpha', '{not json'],
    ];
    for (const [method, path, body] of cases)
      expect(
        (await api(method, path, as, body)).status,
        `${method} ${path} ${JSON.stringify(body)}`,
      ).toBe(400);
  });

  it('path names and list queries are validated', async () => {
    const as = fx.as('p-admin');
    for (const path of [
      '/api/v1/workspaces/Not_A_Label',
      '/api/v1/users/UPPER',
      '/api/v1/workspaces?limit=0',
      '/api/v1/workspaces?limit=201',
      '/api/v1/workspaces?limit=ten',
      '/api/v1/workspaces?cursor=%%%',
      '/api/v1/workspaces/alpha/namespaces/alpha-web/members?cluster=Bad!',
      '/api/v1/audit?outcome=maybe',
      '/api/v1/audit?since=yesterday',
      '/api/v1/audit?cursor=bm90LWEtbnVtYmVy',
    ])
      expect((await api('GET', path, as)).status, path).toBe(400);
    for (const path of ['/api/v1/workspaces', '/api/v1/me', '/api/v1/audit', '/api/v1/roles'])
      expect((await api('GET', path, { authorization: 'Bearer nope' })).status, path).toBe(401);
  });

  it('a namespace name in several clusters needs ?cluster=', async () => {
    const as = fx.as('p-admin');
    expect(
      (
        await post('/api/v1/workspaces/alpha/namespaces', as, {
          cluster: 'west',
          name: 'alpha-web',
        })
      ).status,
    ).toBe(201);
    const ambiguous = await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-web', as);
    expect(ambiguous.status).toBe(400);
    expect((ambiguous.body as { message: string }).message).toMatch(/\?cluster=/);
    const west = await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-web?cluster=west', as);
    expect(west.body).toMatchObject({ name: 'alpha-web', cluster: 'west', workspace: 'alpha' });
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-web/members?cluster=east', as))
        .status,
    ).toBe(200);
    // the project admin of alpha-web@east sees only its own: no ambiguity for it
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/alpha-web', fx.as('proj-admin'))).body,
    ).toMatchObject({ cluster: 'east' });
    expect(
      (await api('DELETE', '/api/v1/workspaces/alpha/namespaces/alpha-web?cluster=west', as))
        .status,
    ).toBe(204);
  });
});
