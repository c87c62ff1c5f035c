import { beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
let east: TestAgent;

/** Reads the request body the edge sent for stream `id` (DATA frames until END). */
async function bodyOf(agent: TestAgent, id: number): Promise<unknown> {
  let text = '';
  for (;;) {
    const frame = await agent.next();
    if (frame.type === 'data' && frame.id === id) text += new TextDecoder().decode(frame.payload);
    else if (frame.type === 'end' && frame.id === id) return JSON.parse(text);
  }
}

async function answer(agent: TestAgent, id: number, status: number): Promise<void> {
  await agent.send({
    type: 'response',
    id,
    status,
    headers: [['content-type', 'application/json']],
  });
  await agent.sendData(id, '{}');
  await agent.send({ type: 'end', id });
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  east = await connectAgent((rotated.body as { joinToken: string }).joinToken);
});

describe('namespaces (projects) are created in their cluster through the tunnel', () => {
  it('creates the namespace with the workspace label, as the caller with the admin group', async () => {
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-prov'), {
      cluster: 'east',
      name: 'alpha-new',
    });
    const request = await east.nextOf('request');
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/namespaces', body: true });
    expect(request.impersonate).toEqual({ user: 'alpha-prov', groups: ['system:masters'] });
    expect(await bodyOf(east, request.id)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'alpha-new', labels: { 'kubesphere.io/workspace': 'alpha' } },
    });
    await answer(east, request.id, 201);
    expect((await pending).status).toBe(201);
  });

  it('adopts a namespace that already exists by labelling it', async () => {
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'east',
      name: 'legacy',
    });
    const create = await east.nextOf('request');
    await answer(east, create.id, 409);
    const patch = await east.nextOf('request');
    expect(patch).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/legacy' });
    expect(patch.headers).toContainEqual(['content-type', 'application/merge-patch+json']);
    expect(await bodyOf(east, patch.id)).toEqual({
      metadata: { labels: { 'kubesphere.io/workspace': 'alpha' } },
    });
    await answer(east, patch.id, 200);
    expect((await pending).status).toBe(201);
  });

  it('undoes the placement when the cluster refuses', async () => {
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'east',
      name: 'refused',
    });
    const create = await east.nextOf('request');
    await answer(east, create.id, 403);
    const res = await pending;
    expect(res.status).toBe(502);
    expect(res.body).toMatchObject({ code: 'cluster_refused' });
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/refused', fx.as('alpha-admin')))
        .status,
    ).toBe(404);
  });

  it('undoes the placement when the cluster is unreachable, and skips clusters never connected', async () => {
    const rotated = await api('POST', '/api/v1/clusters/west/join-token', fx.as('admin'));
    const west = await connectAgent((rotated.body as { joinToken: string }).joinToken);
    west.ws.close(1000, 'gone');
    await west.nextOf('closed');
    const res = await api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'west',
      name: 'offline',
    });
    expect(res.status).toBe(503);
    expect(
      (await api('GET', '/api/v1/workspaces/alpha/namespaces/offline', fx.as('alpha-admin')))
        .status,
    ).toBe(404);
    const created = await api('POST', '/api/v1/clusters', fx.as('admin'), { name: 'fresh' });
    expect(created.status).toBe(201);
    const placed = await api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'fresh',
      name: 'early',
    });
    expect(placed.status).toBe(201);
  });

  it('deletes the namespace in the cluster with the placement', async () => {
    const pending = api(
      'DELETE',
      '/api/v1/workspaces/alpha/namespaces/alpha-new?cluster=east',
      fx.as('alpha-admin'),
    );
    const request = await east.nextOf('request');
    expect(request).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/alpha-new' });
    await answer(east, request.id, 200);
    expect((await pending).status).toBe(204);
  });
});
