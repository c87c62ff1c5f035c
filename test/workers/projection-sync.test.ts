import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { namespaces, workspaceClusters } from '../../db/schema';
import type { RoleProjectionFrame } from '../../functions/projection/frames';
import type { ClusterTunnel } from '../../functions/tunnel/cluster-tunnel';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { registerCluster } from './support/cluster-tunnel';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
let agent: TestAgent;
let stub: DurableObjectStub<ClusterTunnel>;

const latest = (): RoleProjectionFrame | undefined => agent.projections.at(-1);
const bindingsIn = (frame: RoleProjectionFrame | undefined, namespace: string) =>
  frame?.namespaces.find((n) => n.namespace === namespace)?.bindings ?? [];

beforeAll(async () => {
  fx = await seedFixture();
  const registered = await registerCluster(fx.as('admin'), 'north');
  stub = registered.stub as DurableObjectStub<ClusterTunnel>;
  const row = await env.DB.prepare("SELECT id FROM clusters WHERE name = 'north'").first<{
    id: string;
  }>();
  const db = createDb(env.DB);
  await db
    .insert(workspaceClusters)
    .values({ workspaceId: fx.ids.workspaces.alpha, clusterId: row!.id });
  await db.insert(namespaces).values({
    name: 'alpha-north',
    clusterId: row!.id,
    workspaceId: fx.ids.workspaces.alpha,
  });
  agent = await connectAgent(registered.joinToken);
});

describe('role projection through the tunnel', () => {
  it('sends the whole projection to an agent as it says hello', async () => {
    await expect.poll(() => agent.projections.length).toBe(1);
    const frame = latest();
    expect(frame?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(frame?.workspaces.map((w) => w.workspace)).toEqual(['alpha']);
    expect(frame?.workspaces[0]?.bindings).toContainEqual({
      roleRef: { kind: 'ClusterRole', name: 'admin' },
      subject: { kind: 'User', name: 'alpha-admin' },
    });
  });

  it('pushes after a binding changes, and only when the content changed', async () => {
    const before = agent.projections.length;
    const added = await api(
      'POST',
      '/api/v1/workspaces/alpha/namespaces/alpha-north/members',
      fx.as('admin'),
      { user: 'regular', role: 'operator' },
    );
    expect(added.status).toBe(201);
    await expect.poll(() => agent.projections.length).toBe(before + 1);
    expect(bindingsIn(latest(), 'alpha-north')).toEqual([
      {
        roleRef: { kind: 'ClusterRole', name: 'edit' },
        subject: { kind: 'User', name: 'regular' },
      },
    ]);
    const revision = latest()?.revision ?? 0;

    // A mutation in the workspace that changes no binding sends nothing.
    const described = await api('PUT', '/api/v1/workspaces/alpha', fx.as('admin'), {
      description: 'still the same bindings',
    });
    expect(described.status).toBe(200);
    expect(agent.projections.length).toBe(before + 1);

    const changed = await api(
      'PUT',
      '/api/v1/workspaces/alpha/namespaces/alpha-north/members/regular',
      fx.as('admin'),
      { role: 'viewer' },
    );
    expect(changed.status).toBe(200);
    await expect.poll(() => latest()?.revision).toBe(revision + 1);
    expect(bindingsIn(latest(), 'alpha-north')).toEqual([
      {
        roleRef: { kind: 'ClusterRole', name: 'view' },
        subject: { kind: 'User', name: 'regular' },
      },
    ]);

    const removed = await api(
      'DELETE',
      '/api/v1/workspaces/alpha/namespaces/alpha-north/members/regular',
      fx.as('admin'),
    );
    expect(removed.status).toBe(204);
    await expect.poll(() => bindingsIn(latest(), 'alpha-north')).toEqual([]);
  });

  it('a revoked grant empties the projection at the next change of the workspace', async () => {
    await env.DB.prepare('DELETE FROM workspace_clusters WHERE workspace_id = ?')
      .bind(fx.ids.workspaces.alpha)
      .run();
    const res = await api('PUT', '/api/v1/workspaces/alpha', fx.as('admin'), {
      description: 'grant revoked',
    });
    expect(res.status).toBe(200);
    await expect.poll(() => latest()?.workspaces).toEqual([]);
    expect(latest()?.namespaces).toEqual([]);
  });

  it('stores the leader’s report', async () => {
    const hash = latest()?.hash ?? '';
    await agent.send({
      type: 'role-projection-status',
      hash,
      inSync: true,
      objects: 0,
      written: 3,
      conflicts: [],
      failures: 0,
    });
    await expect.poll(async () => (await stub.roleProjectionStatus()).agent?.hash).toBe(hash);
    expect((await stub.roleProjectionStatus()).hash).toBe(hash);
  });
});
