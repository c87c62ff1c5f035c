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

/** Answers the edge's read of the namespace: absent, or present with `labels`. */
async function answerRead(agent: TestAgent, name: string, labels?: Record<string, string>) {
  const read = await agent.nextOf('request');
  expect(read).toMatchObject({ method: 'GET', path: `/api/v1/namespaces/${name}`, body: false });
  const found = labels !== undefined;
  await agent.send({
    type: 'response',
    id: read.id,
    status: found ? 200 : 404,
    headers: [['content-type', 'application/json']],
  });
  await agent.sendData(
    read.id,
    JSON.stringify(
      found
        ? { kind: 'Namespace', metadata: { name, labels, resourceVersion: '42' } }
        : { kind: 'Status', code: 404 },
    ),
  );
  await agent.send({ type: 'end', id: read.id });
  return read;
}

const placementIdentity = (user: string) => ({
  user,
  groups: ['edgetower:namespace-placement'],
});

describe('namespaces (projects) are created in their cluster through the tunnel', () => {
  it('reads, then creates the namespace with the workspace label, as the caller with the namespace-placement group', async () => {
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-prov'), {
      cluster: 'east',
      name: 'alpha-new',
    });
    const read = await answerRead(east, 'alpha-new');
    expect(read.impersonate).toEqual(placementIdentity('alpha-prov'));
    const request = await east.nextOf('request');
    expect(request).toMatchObject({ method: 'POST', path: '/api/v1/namespaces', body: true });
    expect(request.impersonate).toEqual(placementIdentity('alpha-prov'));
    expect(await bodyOf(east, request.id)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'alpha-new', labels: { 'kubesphere.io/workspace': 'alpha' } },
    });
    await answer(east, request.id, 201);
    expect((await pending).status).toBe(201);
  });

  it('adopts a namespace that already exists (unlabelled) by labelling it, for a platform admin only', async () => {
    const refused = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'east',
      name: 'legacy',
    });
    await answerRead(east, 'legacy', {});
    expect(await refused).toMatchObject({ status: 409, body: { code: 'namespace_exists' } });
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('admin'), {
      cluster: 'east',
      name: 'legacy',
    });
    await answerRead(east, 'legacy', {});
    const patch = await east.nextOf('request');
    expect(patch).toMatchObject({ method: 'PATCH', path: '/api/v1/namespaces/legacy' });
    expect(patch.headers).toContainEqual(['content-type', 'application/merge-patch+json']);
    expect(patch.impersonate).toEqual(placementIdentity('admin'));
    expect(await bodyOf(east, patch.id)).toEqual({
      metadata: { resourceVersion: '42', labels: { 'kubesphere.io/workspace': 'alpha' } },
    });
    await answer(east, patch.id, 200);
    expect((await pending).status).toBe(201);
  });

  it('undoes the placement when the cluster refuses', async () => {
    const pending = api('POST', '/api/v1/workspaces/alpha/namespaces', fx.as('alpha-admin'), {
      cluster: 'east',
      name: 'refused',
    });
    await answerRead(east, 'refused');
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
    const granted = await api('PATCH', '/api/v1/workspaces/alpha', fx.as('admin'), {
      clusters: ['east', 'fresh', 'west'],
    });
    expect(granted.status).toBe(200);
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
    await answerRead(east, 'alpha-new', { 'kubesphere.io/workspace': 'alpha' });
    const request = await east.nextOf('request');
    expect(request).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/alpha-new' });
    // Only the namespace as it was read: a precondition on its resourceVersion.
    expect(await bodyOf(east, request.id)).toMatchObject({
      kind: 'DeleteOptions',
      preconditions: { resourceVersion: '42' },
    });
    expect(request.impersonate).toEqual(placementIdentity('alpha-admin'));
    await answer(east, request.id, 200);
    expect((await pending).status).toBe(204);
  });
});
