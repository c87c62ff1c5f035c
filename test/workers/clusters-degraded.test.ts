import { beforeAll, describe, expect, it } from 'vitest';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, seedFixture } from './support/fixture';

/**
 * `GET /api/v1/clusters/:c` carries `degraded`: what the connected agents
 * cannot read (a resource not served, RBAC forbidding a list, the API server
 * unreachable), from their `agent-status` frames, while the rest flows.
 */

let fx: Fixture;
let a: TestAgent;
let joinToken: string;

const view = async () =>
  (await api('GET', '/api/v1/clusters/east', fx.as('admin'))).body as {
    status: string;
    degraded: { resource: string; reason: string }[];
  };

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  joinToken = (rotated.body as { joinToken: string }).joinToken;
  a = await connectAgent(joinToken, 'agent-a');
});

describe('cluster view: degraded', () => {
  it('is empty while everything reads', async () => {
    expect((await view()).degraded).toEqual([]);
  });

  it('shows what the agents report, one entry per resource, and clears when they can read again', async () => {
    await a.send({
      type: 'agent-status',
      degraded: [
        {
          resource: 'cronjobs.batch',
          reason: 'not served by this cluster (tried batch/v1, batch/v1beta1)',
        },
        { resource: 'nodes', reason: 'forbidden: list /api/v1/nodes: 403' },
      ],
    });
    const b = await connectAgent(joinToken, 'agent-b');
    await b.send({
      type: 'agent-status',
      degraded: [
        { resource: 'apiserver', reason: 'cannot read /version: unreachable: ECONNREFUSED' },
      ],
    });
    const shown = await view();
    expect(shown.status).toBe('connected');
    expect(shown.degraded.map((d) => d.resource)).toEqual(['apiserver', 'cronjobs.batch', 'nodes']);
    expect(shown.degraded[2]?.reason).toMatch(/^forbidden/);

    await a.send({ type: 'agent-status', degraded: [] });
    await b.send({ type: 'agent-status', degraded: [] });
    expect((await view()).degraded).toEqual([]);
  });

  it('refuses an oversized report as a malformed frame, not a 500', async () => {
    a.sendRaw(
      JSON.stringify({
        type: 'agent-status',
        degraded: Array.from({ length: 65 }, (_, i) => ({ resource: `r${i}`, reason: 'x' })),
      }),
    );
    const reply = await a.nextOf('error');
    expect(reply.code).toBe('malformed');
    expect((await view()).degraded).toEqual([]);
  });
});
