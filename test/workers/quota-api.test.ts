import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';

let fx: Fixture;

beforeAll(async () => {
  fx = await seedFixture();
});

const put = (persona: Persona, hard: unknown, ws = 'alpha') =>
  api('PUT', `/api/v1/workspaces/${ws}/quota`, fx.as(persona), { hard });
const get = (persona: Persona, ws = 'alpha') =>
  api('GET', `/api/v1/workspaces/${ws}/quota`, fx.as(persona));

interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  fields?: { path: string; message: string }[];
}

describe('PUT /api/v1/workspaces/:ws/quota validates Kubernetes quantities', () => {
  it.each([
    [{ cpu: 'lots' }, 'hard.cpu', 'not a Kubernetes quantity'],
    [{ memory: '1.5GB' }, 'hard.memory', 'not a Kubernetes quantity'],
    [{ cpu: '-1' }, 'hard.cpu', 'must not be negative'],
    [{ pods: '2.5' }, 'hard.pods', 'whole number'],
    [{ 'requests.storage': '10Gi' }, 'hard.requests.storage', 'unknown resource'],
    [{ gpus: '1' }, 'hard.gpus', 'unknown resource'],
    [{ cpu: 4 }, 'hard.cpu', ''],
  ])('refuses %j with a 400 naming %s', async (hard, path, message) => {
    const res = await put('alpha-admin', hard);
    expect(res.status).toBe(400);
    const body = res.body as ErrorBody;
    expect(body).toMatchObject({ code: 'validation_failed' });
    expect(body.requestId).toBeTruthy();
    const field = body.fields?.find((f) => f.path === path);
    expect(field, JSON.stringify(body.fields)).toBeDefined();
    expect(field?.message).toContain(message);
  });

  it('refuses a body without hard, extra keys and non-JSON', async () => {
    expect(
      (await api('PUT', '/api/v1/workspaces/alpha/quota', fx.as('alpha-admin'), {})).status,
    ).toBe(400);
    expect(
      (
        await api('PUT', '/api/v1/workspaces/alpha/quota', fx.as('alpha-admin'), {
          hard: {},
          soft: {},
        })
      ).status,
    ).toBe(400);
    const res = await api(
      'PUT',
      '/api/v1/workspaces/alpha/quota',
      {
        ...fx.as('alpha-admin'),
        'content-type': 'text/plain',
      },
      'hard=1',
    );
    expect(res.status).toBe(415);
  });

  it('stores every accepted form as written and bumps the revision', async () => {
    const hard = {
      cpu: '1500m',
      memory: '2Gi',
      pods: '10',
      'requests.cpu': '1.5',
      'requests.memory': '2147483648',
      'limits.cpu': '3e0',
      'limits.memory': '4096Mi',
    };
    const first = await put('alpha-admin', hard);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ workspace: 'alpha', hard, updatedBy: 'alpha-admin' });
    const revision = (first.body as { revision: number }).revision;
    const second = await put('alpha-admin', { cpu: '2' });
    expect(second.body).toMatchObject({ hard: { cpu: '2' }, revision: revision + 1 });
    expect((await get('alpha-viewer')).body).toMatchObject({
      hard: { cpu: '2' },
      revision: revision + 1,
    });
  });
});

describe('quota tenancy', () => {
  it('workspace admins, platform admins and workspaces-managers write; viewers read only', async () => {
    for (const writer of ['alpha-admin', 'admin', 'ws-mgr'] as const)
      expect((await put(writer, { pods: '20' })).status, writer).toBe(200);
    for (const reader of ['alpha-viewer', 'alpha-dev', 'alpha-regular'] as const) {
      expect((await get(reader)).status, reader).toBe(200);
      expect((await put(reader, { pods: '1' })).status, reader).toBe(403);
    }
  });

  it('keeps the workspace quota from members of one project only (no workspace role)', async () => {
    expect((await get('proj-viewer')).status).toBe(404);
    expect((await put('proj-admin', { pods: '1' })).status).toBe(404);
  });

  it('answers 404 to callers outside the workspace, as for a workspace that does not exist', async () => {
    for (const outsider of ['beta-admin', 'beta-viewer', 'regular', 'east-admin'] as const) {
      const read = await get(outsider);
      expect(read.status, outsider).toBe(404);
      expect((read.body as ErrorBody).message).toBe('Workspace "alpha" not found.');
      expect((await put(outsider, { pods: '1' })).status, outsider).toBe(404);
    }
    expect((await get('admin', 'nowhere')).status).toBe(404);
    expect((await get('beta-admin')).body).not.toHaveProperty('hard');
  });

  it('keeps the two tenants apart', async () => {
    expect((await put('beta-admin', { memory: '1Gi' }, 'beta')).status).toBe(200);
    expect((await get('beta-viewer', 'beta')).body).toMatchObject({ hard: { memory: '1Gi' } });
    expect((await get('alpha-viewer')).body).not.toMatchObject({ hard: { memory: '1Gi' } });
  });

  it('lists the clusters the workspace spans, with no usage before any agent reported', async () => {
    const res = await get('alpha-viewer');
    expect(res.body).toMatchObject({
      used: {},
      clusters: [
        { cluster: 'east', used: {}, reportedAt: null },
        { cluster: 'west', used: {}, reportedAt: null },
      ],
    });
  });
});

describe('quota writes are audited', () => {
  it('records successful and denied writes', async () => {
    await put('alpha-admin', { pods: '30' });
    await put('alpha-viewer', { pods: '1' });
    const rows = await env.DB.prepare(
      "SELECT user, verb, resource, name, workspace, outcome, status FROM audit_events WHERE resource = 'quotas' ORDER BY time",
    ).all<Record<string, unknown>>();
    expect(rows.results).toContainEqual({
      user: 'alpha-admin',
      verb: 'update',
      resource: 'quotas',
      name: 'alpha',
      workspace: 'alpha',
      outcome: 'success',
      status: 200,
    });
    expect(rows.results).toContainEqual(
      expect.objectContaining({ user: 'alpha-viewer', outcome: 'denied', status: 403 }),
    );
  });
});

describe('the OpenAPI document', () => {
  it('describes the quota routes', async () => {
    const doc = (await api('GET', '/openapi.json', {})).body as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths['/api/v1/workspaces/{ws}/quota'] as object).sort()).toEqual([
      'get',
      'put',
    ]);
  });
});
