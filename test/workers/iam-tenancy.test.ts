import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { tenancySnapshot } from './support/snapshot';

/**
 * No cross-tenant read or write: users holding roles in alpha (or in one
 * alpha namespace) get, for everything of beta, exactly the 404 a name that
 * does not exist gets, and nothing changes.
 */
let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
  // Beta content for the requests to aim at.
  const beta = fx.as('beta-admin');
  expect(
    (
      await api('POST', '/api/v1/workspaces/beta/groups', beta, {
        name: 'ops',
        role: 'workspace-viewer',
      })
    ).status,
  ).toBe(201);
  expect(
    (await api('POST', '/api/v1/workspaces/beta/groups/ops/members', beta, { user: 'beta-viewer' }))
      .status,
  ).toBe(201);
  expect(
    (
      await api('POST', '/api/v1/workspaces/beta/roles', beta, {
        name: 'auditor',
        rules: [{ verbs: ['get'], resources: ['members'] }],
      })
    ).status,
  ).toBe(201);
  expect(
    (
      await api('POST', '/api/v1/workspaces/beta/namespaces/beta-web/members', beta, {
        user: 'beta-viewer',
        role: 'viewer',
      })
    ).status,
  ).toBe(201);
  const admin = fx.as('admin');
  expect(
    (
      await api('POST', '/api/v1/clusters/west/members', admin, {
        user: 'beta-admin',
        role: 'cluster-viewer',
      })
    ).status,
  ).toBe(201);
});

const member = { user: 'alpha-admin', role: 'workspace-admin' };
const rules = [{ verbs: ['get'], resources: ['members'] }];

// [method, path, body?]: every IAM route family, aimed at beta (or cluster west).
const requests: [string, string, unknown?][] = [
  ['GET', '/api/v1/workspaces/beta'],
  ['PUT', '/api/v1/workspaces/beta', { description: 'mine now' }],
  ['DELETE', '/api/v1/workspaces/beta'],
  ['GET', '/api/v1/workspaces/beta/members'],
  ['GET', '/api/v1/workspaces/beta/members/beta-admin'],
  ['POST', '/api/v1/workspaces/beta/members', member],
  ['PUT', '/api/v1/workspaces/beta/members/beta-viewer', { role: 'workspace-admin' }],
  ['DELETE', '/api/v1/workspaces/beta/members/beta-admin'],
  ['GET', '/api/v1/workspaces/beta/groups'],
  ['GET', '/api/v1/workspaces/beta/groups/ops'],
  ['POST', '/api/v1/workspaces/beta/groups', { name: 'intruders', role: 'workspace-admin' }],
  ['PUT', '/api/v1/workspaces/beta/groups/ops', { role: 'workspace-admin' }],
  ['DELETE', '/api/v1/workspaces/beta/groups/ops'],
  ['GET', '/api/v1/workspaces/beta/groups/ops/members'],
  ['POST', '/api/v1/workspaces/beta/groups/ops/members', { user: 'alpha-admin' }],
  ['DELETE', '/api/v1/workspaces/beta/groups/ops/members/beta-viewer'],
  ['GET', '/api/v1/workspaces/beta/namespaces'],
  ['GET', '/api/v1/workspaces/beta/namespaces/beta-web'],
  ['POST', '/api/v1/workspaces/beta/namespaces', { cluster: 'east', name: 'sneaky' }],
  ['DELETE', '/api/v1/workspaces/beta/namespaces/beta-web'],
  ['GET', '/api/v1/workspaces/beta/namespaces/beta-web/members'],
  ['GET', '/api/v1/workspaces/beta/namespaces/beta-web/members/beta-viewer'],
  [
    'POST',
    '/api/v1/workspaces/beta/namespaces/beta-web/members',
    { user: 'alpha-admin', role: 'admin' },
  ],
  ['PUT', '/api/v1/workspaces/beta/namespaces/beta-web/members/beta-viewer', { role: 'admin' }],
  ['DELETE', '/api/v1/workspaces/beta/namespaces/beta-web/members/beta-viewer'],
  ['GET', '/api/v1/workspaces/beta/roles'],
  ['GET', '/api/v1/workspaces/beta/roles/auditor'],
  ['POST', '/api/v1/workspaces/beta/roles', { name: 'mine', rules }],
  ['PUT', '/api/v1/workspaces/beta/roles/auditor', { rules: [{ verbs: ['*'], resources: ['*'] }] }],
  ['DELETE', '/api/v1/workspaces/beta/roles/auditor'],
  ['GET', '/api/v1/clusters/west/members'],
  ['GET', '/api/v1/clusters/west/members/beta-admin'],
  ['POST', '/api/v1/clusters/west/members', { user: 'alpha-admin', role: 'cluster-admin' }],
  ['PUT', '/api/v1/clusters/west/members/beta-admin', { role: 'cluster-admin' }],
  ['DELETE', '/api/v1/clusters/west/members/beta-admin'],
  ['GET', '/api/v1/users/beta-admin'],
  ['PUT', '/api/v1/users/beta-admin', { displayName: 'pwned' }],
  ['DELETE', '/api/v1/users/beta-admin'],
];

/** The same request aimed at names that do not exist at all. */
const nowhere = (path: string) =>
  path
    .replace('/workspaces/beta', '/workspaces/gamma')
    .replace('/clusters/west', '/clusters/north')
    .replace('/users/beta-admin', '/users/nobody');
const unname = (message: string) =>
  message.replace(/"(beta|gamma|west|north|beta-admin|nobody)"/, '"<name>"');

const outsiders: Persona[] = [
  'alpha-admin',
  'alpha-viewer',
  'alpha-regular',
  'alpha-dev',
  'proj-admin',
  'alpha-prov',
];

describe('no cross-tenant read or write', () => {
  for (const persona of outsiders) {
    it(`${persona}: every beta route answers 404 like a missing name, and nothing changes`, async () => {
      const before = await tenancySnapshot();
      for (const [method, path, body] of requests) {
        const real = await api(method, path, fx.as(persona), body);
        const missing = await api(method, nowhere(path), fx.as(persona), body);
        const where = `${persona} ${method} ${path}`;
        expect(real.status, where).toBe(404);
        expect(missing.status, where).toBe(404);
        const realBody = real.body as { code: string; message: string };
        expect(realBody.code, where).toBe('not_found');
        expect(unname(realBody.message), where).toBe(
          unname((missing.body as { message: string }).message),
        );
      }
      expect(await tenancySnapshot()).toEqual(before);
    });
  }

  it('lists only show the caller’s tenant', async () => {
    for (const persona of outsiders) {
      const { body } = await api('GET', '/api/v1/workspaces', fx.as(persona));
      expect(
        (body as { items: { name: string }[] }).items.map((w) => w.name),
        persona,
      ).toEqual(['alpha']);
      const users = await api('GET', '/api/v1/users', fx.as(persona));
      expect(
        (users.body as { items: { name: string }[] }).items.map((u) => u.name),
        persona,
      ).toEqual([persona]);
    }
    const beta = await api('GET', '/api/v1/workspaces', fx.as('beta-viewer'));
    expect((beta.body as { items: { name: string }[] }).items.map((w) => w.name)).toEqual(['beta']);
    const none = await api('GET', '/api/v1/workspaces', fx.as('regular'));
    expect(none.body).toEqual({ items: [] });
  });

  it('a project member sees its one namespace, not its siblings', async () => {
    const list = await api('GET', '/api/v1/workspaces/alpha/namespaces', fx.as('proj-viewer'));
    expect((list.body as { items: { name: string }[] }).items.map((n) => n.name)).toEqual([
      'alpha-web',
    ]);
    const sibling = await api(
      'GET',
      '/api/v1/workspaces/alpha/namespaces/alpha-db/members',
      fx.as('proj-admin'),
    );
    expect(sibling.status).toBe(404);
    const write = await api(
      'POST',
      '/api/v1/workspaces/alpha/namespaces/alpha-db/members',
      fx.as('proj-admin'),
      {
        user: 'proj-admin',
        role: 'admin',
      },
    );
    expect(write.status).toBe(404);
  });

  it('beta still reads its own resources (the 404s were not breakage)', async () => {
    const beta = fx.as('beta-admin');
    for (const path of [
      '/api/v1/workspaces/beta',
      '/api/v1/workspaces/beta/groups/ops',
      '/api/v1/workspaces/beta/roles/auditor',
      '/api/v1/workspaces/beta/namespaces/beta-web/members/beta-viewer',
    ])
      expect((await api('GET', path, beta)).status, path).toBe(200);
  });
});
