import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { DENIAL_HOLD_MS } from '../../functions/quotas/exceeded-rule';
import type { ClusterTunnel } from '../../functions/tunnel/cluster-tunnel';
import type { QuotasFrame } from '../../protocol/quota-frames';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, seedFixture } from './support/fixture';

/*
 * Workspace alpha spans east (alpha-web) and west (alpha-db); beta spans
 * both too. Fake agents on the real connect route stand in for the
 * clusters' agents.
 */
let fx: Fixture;
const tokens: Record<'east' | 'west', string> = { east: '', west: '' };

beforeAll(async () => {
  fx = await seedFixture();
  for (const cluster of ['east', 'west'] as const) {
    const rotated = await api('POST', `/api/v1/clusters/${cluster}/join-token`, fx.as('admin'));
    tokens[cluster] = (rotated.body as { joinToken: string }).joinToken;
  }
});

const putQuota = (ws: string, hard: Record<string, string>) =>
  api('PUT', `/api/v1/workspaces/${ws}/quota`, fx.as('admin'), { hard });
const quotaOf = async (ws: string) =>
  (await api('GET', `/api/v1/workspaces/${ws}/quota`, fx.as('admin'))).body as {
    hard: Record<string, string>;
    used: Record<string, string>;
    clusters: { cluster: string; used: Record<string, string>; reportedAt: string | null }[];
  };
const tunnel = (cluster: 'east' | 'west'): DurableObjectStub<ClusterTunnel> =>
  env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(fx.ids.clusters[cluster]));

/** The usage report is handled after the frame (waitUntil): poll for its visible effect. */
async function eventually<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const workspaceIn = (frame: QuotasFrame, ws: string) =>
  frame.workspaces.find((w) => w.workspace === ws);

const quotaAlerts = async (ws: string) =>
  (
    (await api('GET', '/api/v2/alerts', fx.as('admin'))).body as {
      labels: Record<string, string>;
      annotations: Record<string, string>;
      status: { state: string };
    }[]
  ).filter((a) => a.labels.alertname === 'WorkspaceQuotaExceeded' && a.labels.workspace === ws);

describe('quota distribution through the clusters’ tunnels', () => {
  let east: TestAgent;
  let west: TestAgent;

  it('sends nothing on HELLO to a cluster that never had a quota', async () => {
    const agent = await connectAgent(tokens.east, 'probe');
    await expect(agent.nextOf('quotas', 300)).rejects.toThrow('no frame');
    agent.ws.close(1000, 'done');
  });

  it('pushes a PUT to the connected agents of every cluster the workspace spans', async () => {
    east = await connectAgent(tokens.east, 'east-1');
    west = await connectAgent(tokens.west, 'west-1');
    const res = await putQuota('alpha', { cpu: '2', memory: '1Gi', pods: '3' });
    expect(res.status).toBe(200);
    expect((res.body as { distributed: unknown }).distributed).toEqual([
      { cluster: 'east', agents: 1 },
      { cluster: 'west', agents: 1 },
    ]);
    for (const agent of [east, west]) {
      const frame = await agent.nextOf('quotas');
      expect(frame.workspaces).toEqual([
        { workspace: 'alpha', hard: { cpu: 2000, memory: 2 ** 30, pods: 3 }, usedElsewhere: {} },
      ]);
    }
  });

  it('gives every agent that says HELLO the quotas of its cluster, with a growing revision', async () => {
    const second = await connectAgent(tokens.east, 'east-2');
    const first = await second.nextOf('quotas');
    expect(workspaceIn(first, 'alpha')?.hard).toEqual({ cpu: 2000, memory: 2 ** 30, pods: 3 });
    const pushed = await tunnel('east').pushQuotas();
    expect(pushed).toBe(2); // east-1 and east-2
    const again = await second.nextOf('quotas');
    expect(again.revision).toBeGreaterThan(first.revision);
    await east.nextOf('quotas');
    second.ws.close(1000, 'done');
  });

  it('keeps usage per cluster, totals it, and re-pushes usedElsewhere to the other clusters', async () => {
    await east.send({
      type: 'quota-usage',
      workspaces: [
        { workspace: 'alpha', used: { pods: 2, cpu: 1500, memory: 512 * 2 ** 20 } },
        // No quota for beta: ignored, not stored.
        { workspace: 'beta', used: { pods: 7 } },
      ],
    });
    const pushed = await west.nextOf('quotas');
    expect(workspaceIn(pushed, 'alpha')?.usedElsewhere).toEqual({
      pods: 2,
      cpu: 1500,
      memory: 512 * 2 ** 20,
    });
    await west.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { pods: 1, cpu: 250, memory: 0 } }],
    });
    const fromWest = await east.nextOf('quotas');
    expect(workspaceIn(fromWest, 'alpha')?.usedElsewhere).toEqual({ pods: 1, cpu: 250, memory: 0 });

    const quota = await quotaOf('alpha');
    expect(quota.used).toEqual({ pods: '3', cpu: '1750m', memory: '512Mi' });
    expect(quota.clusters.map((c) => [c.cluster, c.used])).toEqual([
      ['east', { pods: '2', cpu: '1500m', memory: '512Mi' }],
      ['west', { pods: '1', cpu: '250m', memory: '0' }],
    ]);
    expect(quota.clusters.every((c) => c.reportedAt !== null)).toBe(true);
    expect((await quotaOf('beta')).clusters.every((c) => c.reportedAt === null)).toBe(true);
  });

  it('does not write or re-push when a report repeats the last one', async () => {
    const before = await env.DB.prepare(
      'SELECT reported_at FROM workspace_quota_usage WHERE cluster_id = ?',
    )
      .bind(fx.ids.clusters.east)
      .first<{ reported_at: number }>();
    await east.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { pods: 2, cpu: 1500, memory: 512 * 2 ** 20 } }],
    });
    await expect(west.nextOf('quotas', 300)).rejects.toThrow('no frame');
    const after = await env.DB.prepare(
      'SELECT reported_at FROM workspace_quota_usage WHERE cluster_id = ?',
    )
      .bind(fx.ids.clusters.east)
      .first<{ reported_at: number }>();
    expect(after).toEqual(before);
  });

  it('fires WorkspaceQuotaExceeded when the fleet-wide usage passes a cap, and resolves it', async () => {
    expect(await quotaAlerts('alpha')).toEqual([]);
    // east 2 pods + west 1 pod = 3 = the cap: not over. One more in east is.
    await east.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { pods: 3, cpu: 1500, memory: 512 * 2 ** 20 } }],
    });
    const fired = await eventually(async () => {
      const alerts = await quotaAlerts('alpha');
      return alerts.length > 0 ? alerts : undefined;
    }, 'the quota alert');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({
      labels: {
        alertname: 'WorkspaceQuotaExceeded',
        workspace: 'alpha',
        cluster: 'east',
        resource: 'pods',
        severity: 'warning',
      },
      status: { state: 'active' },
    });
    expect(fired[0]?.annotations.description).toContain('uses 4 of 3 pods');
    await west.nextOf('quotas');

    await east.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { pods: 1, cpu: 500, memory: 0 } }],
    });
    await eventually(
      async () => ((await quotaAlerts('alpha')).length === 0 ? true : undefined),
      'the alert to resolve',
    );
    await west.nextOf('quotas');
  });

  it('resolves a firing alert when the cap is raised by a PUT', async () => {
    await east.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { pods: 1, cpu: 2500, memory: 0 } }],
    });
    await eventually(async () => {
      const alerts = await quotaAlerts('alpha');
      return alerts.some((a) => a.labels.resource === 'cpu') ? true : undefined;
    }, 'the cpu alert');
    await west.nextOf('quotas');
    expect((await putQuota('alpha', { cpu: '4', memory: '1Gi', pods: '3' })).status).toBe(200);
    expect(await quotaAlerts('alpha')).toEqual([]);
    await east.nextOf('quotas');
    await west.nextOf('quotas');
  });

  it('raises the alert when admission denied a pod, though usage is under the cap', async () => {
    await east.send({
      type: 'quota-usage',
      workspaces: [
        { workspace: 'alpha', used: { pods: 1, cpu: 2500, memory: 0 }, denied: ['memory'] },
      ],
    });
    const fired = await eventually(async () => {
      const alerts = await quotaAlerts('alpha');
      return alerts.length > 0 ? alerts : undefined;
    }, 'the denial alert');
    expect(fired.map((a) => a.labels.resource)).toEqual(['memory']);
    // Usage never went over, so nothing resolves it: it ends by itself after the hold.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + DENIAL_HOLD_MS - 60_000);
      expect((await quotaAlerts('alpha')).map((a) => a.labels.resource)).toEqual(['memory']);
      vi.setSystemTime(Date.now() + 120_000);
      expect(await quotaAlerts('alpha')).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('follows the workspace when a namespace placement leaves a cluster', async () => {
    // alpha-db was alpha's only namespace in west: deleting it goes through west's agent.
    const deleting = api('DELETE', '/api/v1/workspaces/alpha/namespaces/alpha-db', fx.as('admin'));
    // The edge reads the namespace first: it deletes only one labelled with this workspace.
    const read = await west.nextOf('request');
    expect(read).toMatchObject({ method: 'GET', path: '/api/v1/namespaces/alpha-db' });
    await west.send({
      type: 'response',
      id: read.id,
      status: 200,
      headers: [['content-type', 'application/json']],
    });
    await west.sendData(
      read.id,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: 'alpha-db',
          labels: { 'kubesphere.io/workspace': 'alpha' },
          resourceVersion: '7',
        },
      }),
    );
    await west.send({ type: 'end', id: read.id });
    const request = await west.nextOf('request');
    expect(request).toMatchObject({ method: 'DELETE', path: '/api/v1/namespaces/alpha-db' });
    await west.send({ type: 'response', id: request.id, status: 200, headers: [] });
    await west.send({ type: 'end', id: request.id });
    expect((await deleting).status).toBe(204);
    // West no longer enforces alpha; east stops counting west's pods as used elsewhere.
    expect(workspaceIn(await west.nextOf('quotas'), 'alpha')).toBeUndefined();
    expect(workspaceIn(await east.nextOf('quotas'), 'alpha')?.usedElsewhere).toEqual({});
    expect((await quotaOf('alpha')).clusters.map((c) => c.cluster)).toEqual(['east']);
  });

  it('clears the agents’ quotas with an empty push when the last cap is removed', async () => {
    expect((await putQuota('alpha', {})).status).toBe(200);
    expect((await east.nextOf('quotas')).workspaces).toEqual([]);
    expect(await quotaAlerts('alpha')).toEqual([]);
    // Once a cluster had quotas, every HELLO gets the (now empty) list, so a stale agent clears too.
    const late = await connectAgent(tokens.west, 'west-late');
    expect((await late.nextOf('quotas')).workspaces).toEqual([]);
    late.ws.close(1000, 'done');
  });

  it('answers a malformed quota-usage frame with an error, not a crash', async () => {
    await east.send({
      type: 'quota-usage',
      workspaces: [{ workspace: 'alpha', used: { gpus: 1 } }],
    } as never);
    const error = await east.nextOf('error');
    expect(error).toMatchObject({ code: 'malformed' });
    expect(error.message).toContain('quota-usage');
  });
});
