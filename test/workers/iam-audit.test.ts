import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});
afterEach(() => {
  vi.useRealTimers();
});

interface AuditEvent {
  time: string;
  user: string | null;
  verb: string;
  resource: string;
  name: string | null;
  workspace?: string;
  cluster?: string;
  namespace?: string;
  outcome: 'success' | 'failure' | 'denied';
  status: number;
  requestId: string;
  sourceIp: string | null;
}

async function events(query: string, persona: Parameters<Fixture['as']>[0] = 'admin') {
  const res = await api('GET', `/api/v1/audit${query}`, fx.as(persona));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { items: AuditEvent[]; nextCursor?: string };
}

/** Sends a request with a known source IP and returns its request id. */
async function send(method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetchWorker(path, {
    method,
    headers: { ...headers, 'cf-connecting-ip': '203.0.113.7' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, requestId: res.headers.get('x-request-id') ?? '' };
}

const byRequest = async (requestId: string) =>
  (await events('?limit=200')).items.find((e) => e.requestId === requestId);

describe('mutations are audited', () => {
  it('records who, what, where and how it ended, in the contract shape', async () => {
    const ok = await send('POST', '/api/v1/workspaces/alpha/members', fx.as('alpha-admin'), {
      user: 'regular',
      role: 'workspace-viewer',
    });
    expect(ok.status).toBe(201);
    const event = await byRequest(ok.requestId);
    expect(event).toEqual({
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      user: 'alpha-admin',
      verb: 'create',
      resource: 'members',
      name: 'regular',
      workspace: 'alpha',
      outcome: 'success',
      status: 201,
      requestId: ok.requestId,
      sourceIp: '203.0.113.7',
    });
  });

  it('records denials and failures too', async () => {
    const denied = await send(
      'DELETE',
      '/api/v1/workspaces/alpha/members/regular',
      fx.as('alpha-viewer'),
    );
    expect(await byRequest(denied.requestId)).toMatchObject({
      user: 'alpha-viewer',
      verb: 'delete',
      resource: 'members',
      name: 'regular',
      workspace: 'alpha',
      outcome: 'denied',
      status: 403,
    });
    const duplicate = await send('POST', '/api/v1/workspaces/alpha/members', fx.as('alpha-admin'), {
      user: 'regular',
      role: 'workspace-viewer',
    });
    expect(await byRequest(duplicate.requestId)).toMatchObject({
      outcome: 'failure',
      status: 409,
      name: 'regular',
    });
    const anonymous = await send(
      'POST',
      '/api/v1/workspaces',
      { 'content-type': 'application/json' },
      { name: 'x' },
    );
    // Unauthenticated: refused before routing, so only who/outcome/status are known.
    expect(await byRequest(anonymous.requestId)).toMatchObject({
      user: null,
      outcome: 'denied',
      status: 401,
    });
    const crossTenant = await send('DELETE', '/api/v1/workspaces/beta', fx.as('alpha-admin'));
    expect(await byRequest(crossTenant.requestId)).toMatchObject({
      user: 'alpha-admin',
      workspace: 'beta',
      outcome: 'failure',
      status: 404,
    });
  });

  it('names the resource and scope of every family', async () => {
    const admin = fx.as('p-admin');
    const cases: [string, string, unknown, Partial<AuditEvent>][] = [
      [
        'POST',
        '/api/v1/workspaces',
        // Namespaces go only in granted clusters: gamma is granted east.
        { name: 'gamma', clusters: ['east'] },
        { resource: 'workspaces', name: 'gamma', workspace: 'gamma' },
      ],
      [
        'PUT',
        '/api/v1/workspaces/gamma',
        { description: 'g' },
        { verb: 'update', resource: 'workspaces', name: 'gamma', workspace: 'gamma' },
      ],
      [
        'POST',
        '/api/v1/workspaces/gamma/groups',
        { name: 'ops' },
        { resource: 'groups', name: 'ops', workspace: 'gamma' },
      ],
      [
        'POST',
        '/api/v1/workspaces/gamma/groups/ops/members',
        { user: 'regular' },
        { resource: 'members', name: 'regular', workspace: 'gamma' },
      ],
      [
        'DELETE',
        '/api/v1/workspaces/gamma/groups/ops/members/regular',
        undefined,
        { verb: 'delete', resource: 'members', name: 'regular', workspace: 'gamma' },
      ],
      [
        'POST',
        '/api/v1/workspaces/gamma/namespaces',
        { cluster: 'east', name: 'g-ns' },
        {
          resource: 'namespaces',
          name: 'g-ns',
          workspace: 'gamma',
          cluster: 'east',
          namespace: 'g-ns',
        },
      ],
      [
        'POST',
        '/api/v1/workspaces/gamma/namespaces/g-ns/members',
        { user: 'regular', role: 'viewer' },
        {
          resource: 'members',
          name: 'regular',
          workspace: 'gamma',
          cluster: 'east',
          namespace: 'g-ns',
        },
      ],
      [
        'POST',
        '/api/v1/workspaces/gamma/roles',
        { name: 'r', rules: [{ verbs: ['get'], resources: ['quotas'] }] },
        { resource: 'roles', name: 'r', workspace: 'gamma' },
      ],
      [
        'POST',
        '/api/v1/clusters/west/members',
        { user: 'regular', role: 'cluster-viewer' },
        { resource: 'members', name: 'regular', cluster: 'west' },
      ],
      [
        'POST',
        '/api/v1/users',
        { name: 'zed', password: 'long-password-1' },
        { resource: 'users', name: 'zed' },
      ],
      [
        'DELETE',
        '/api/v1/users/zed',
        undefined,
        { verb: 'delete', resource: 'users', name: 'zed' },
      ],
      [
        'DELETE',
        '/api/v1/workspaces/gamma',
        undefined,
        { verb: 'delete', resource: 'workspaces', name: 'gamma', workspace: 'gamma' },
      ],
    ];
    for (const [method, path, body, expected] of cases) {
      const res = await send(method, path, admin, body);
      expect(res.status, `${method} ${path}`).toBeLessThan(300);
      expect(await byRequest(res.requestId), `${method} ${path}`).toMatchObject({
        user: 'p-admin',
        outcome: 'success',
        ...expected,
      });
    }
  });

  it('does not record reads', async () => {
    const read = await send('GET', '/api/v1/workspaces/alpha', fx.as('alpha-admin'));
    expect(read.status).toBe(200);
    expect(await byRequest(read.requestId)).toBeUndefined();
  });
});

describe('GET /api/v1/audit', () => {
  it('filters by user, verb, resource, workspace and outcome', async () => {
    const check = async (query: string, predicate: (e: AuditEvent) => boolean) => {
      const { items } = await events(`${query}&limit=200`);
      expect(items.length, query).toBeGreaterThan(0);
      expect(items.every(predicate), query).toBe(true);
    };
    await check('?user=alpha-admin', (e) => e.user === 'alpha-admin');
    await check('?verb=delete', (e) => e.verb === 'delete');
    await check(
      '?resource=members&workspace=gamma',
      (e) => e.resource === 'members' && e.workspace === 'gamma',
    );
    await check('?outcome=denied', (e) => e.outcome === 'denied');
    await check(
      '?outcome=failure&user=alpha-admin',
      (e) => e.outcome === 'failure' && e.user === 'alpha-admin',
    );
    expect((await events('?user=nobody-at-all')).items).toEqual([]);
  });

  it('filters by time (since/until), with the clock controlled', async () => {
    const base = Date.now();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(base + 10 * 60_000);
    const early = await send('PUT', '/api/v1/workspaces/alpha', fx.as('alpha-admin'), {
      description: 'early',
    });
    vi.setSystemTime(base + 20 * 60_000);
    const late = await send('PUT', '/api/v1/workspaces/alpha', fx.as('alpha-admin'), {
      description: 'late',
    });
    const middle = new Date(base + 15 * 60_000).toISOString();
    const after = (await events(`?since=${middle}&limit=200`)).items.map((e) => e.requestId);
    expect(after).toContain(late.requestId);
    expect(after).not.toContain(early.requestId);
    const before = (await events(`?until=${middle}&limit=200`)).items.map((e) => e.requestId);
    expect(before).toContain(early.requestId);
    expect(before).not.toContain(late.requestId);
  });

  it('pages newest first with a cursor', async () => {
    const all = (await events('?limit=200')).items;
    expect(all.length).toBeGreaterThan(10);
    const paged: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await events(`?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    // the listing itself is not audited, so both views are of the same events
    expect(paged.map((e) => e.requestId)).toEqual(all.map((e) => e.requestId));
    const times = all.map((e) => e.time);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('workspace admins read their workspaces’ events only; others may not read audit', async () => {
    await send('POST', '/api/v1/workspaces/beta/groups', fx.as('beta-admin'), { name: 'beta-ops' });
    const alpha = (await events('?limit=200', 'alpha-admin')).items;
    expect(alpha.length).toBeGreaterThan(0);
    expect(alpha.every((e) => e.workspace === 'alpha')).toBe(true);
    expect((await events('?workspace=beta', 'alpha-admin')).items).toEqual([]);
    const beta = (await events('?limit=200', 'beta-admin')).items;
    expect(beta.every((e) => e.workspace === 'beta')).toBe(true);
    // beta's admin sees alpha-admin's failed attempt on beta
    expect(beta.some((e) => e.user === 'alpha-admin' && e.status === 404)).toBe(true);
    expect(beta.some((e) => e.name === 'beta-ops')).toBe(true);
    for (const persona of [
      'alpha-viewer',
      'regular',
      'users-mgr',
      'ws-mgr',
      'proj-admin',
      'east-admin',
    ] as const)
      expect((await api('GET', '/api/v1/audit', fx.as(persona))).status, persona).toBe(403);
  });
});
