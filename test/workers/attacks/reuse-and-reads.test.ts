import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { clusterShard } from '../../../functions/alerting/shards';
import { csvField } from '../../../functions/metering/csv';
import { meteringStoreOf } from '../../../functions/metering/store-names';
import type { MeteringPayload } from '../../../protocol/metering-samples';
import { connectAgent, type TestAgent } from '../support/agent-socket';
import { api, type Fixture, seedFixture } from '../support/fixture';
import { windowOf } from '../support/metering';

/**
 * Issue #12, attack 7 (re-created clusters and workspaces must not inherit
 * their predecessors' bills, usage, alerts or audit), attack 9 (bill CSV
 * injection) and the workspace-level reads over granted clusters. Every
 * fact goes in the way production's do: an agent's batch through the
 * tunnel, an alert through the Alertmanager API.
 */

let fx: Fixture;
const agents: TestAgent[] = [];
const nowS = () => Math.floor(Date.now() / 1000);
const minute = (secondsAgo: number) => {
  const t = nowS() - secondsAgo;
  return t - (t % 60);
};

beforeAll(async () => {
  fx = await seedFixture();
});
afterEach(() => {
  for (const a of agents.splice(0)) a.ws.close();
});

const row = (sql: string, ...args: unknown[]) =>
  env.DB.prepare(sql)
    .bind(...args)
    .first<Record<string, string>>();

async function registerCluster(name: string): Promise<{ id: string; token: string }> {
  const res = await api('POST', '/api/v1/clusters', fx.as('admin'), { name });
  expect(res.status).toBe(201);
  const id = (await row('SELECT id FROM clusters WHERE name = ?', name))?.id ?? '';
  return { id, token: (res.body as { joinToken: string }).joinToken };
}

let seq = 0;
/** Sends one metering window through a connected agent and waits for its ack. */
async function meter(token: string, payload: MeteringPayload): Promise<void> {
  const agent = await connectAgent(token, `agent-${seq}`);
  agents.push(agent);
  const s = ++seq;
  await agent.send({
    type: 'batch',
    seq: s,
    kind: 'metering',
    createdAt: new Date().toISOString(),
    payload,
  });
  const ack = await agent.nextOf('batch-ack');
  expect(ack).toMatchObject({ seq: s });
  expect(ack).not.toHaveProperty('rejected');
  agent.ws.close();
}

async function createWorkspace(name: string): Promise<string> {
  const res = await api('POST', '/api/v1/workspaces', fx.as('admin'), { name });
  expect(res.status).toBe(201);
  return (await row('SELECT id FROM workspaces WHERE name = ?', name))?.id ?? '';
}

const grant = (workspaceId: string, clusterId: string) =>
  env.DB.prepare(
    'INSERT INTO workspace_clusters (workspace_id, cluster_id, created_at) VALUES (?, ?, ?)',
  )
    .bind(workspaceId, clusterId, Date.now())
    .run();

/** Pretends a row was made `seconds` ago (facts of the tests are from the last hours). */
const backdate = (table: 'workspaces' | 'namespaces' | 'clusters', id: string, seconds: number) =>
  env.DB.prepare(`UPDATE ${table} SET created_at = ? WHERE id = ?`)
    .bind(Date.now() - seconds * 1000, id)
    .run();

async function bindUser(
  persona: 'beta-viewer' | 'east-viewer',
  scope: string,
  id: string,
  role: string,
) {
  await env.DB.prepare(
    "INSERT INTO role_bindings (id, scope_type, scope_id, subject_type, subject_id, role, created_at) VALUES (?, ?, ?, 'user', ?, ?, ?)",
  )
    .bind(crypto.randomUUID(), scope, id, fx.ids.users[persona], role, Date.now())
    .run();
}

interface Item {
  selector: Record<string, string>;
  metrics: Record<string, { sum: number }>;
}
const metering = async (persona: 'admin' | 'beta-viewer' | 'east-viewer', query: string) => {
  const res = await api('GET', `/api/v1/metering?${query}`, fx.as(persona));
  expect(res.status).toBe(200);
  return (res.body as { items: Item[] }).items;
};
const cpu = (items: Item[]) => items.reduce((n, i) => n + (i.metrics.cpu_usage?.sum ?? 0), 0);

describe('workspace-level reads cover granted clusters (issue #12, tried)', () => {
  it('level=workspace&workspace=ws-a lists the usage of labelled, never-placed namespaces, equal to the unfiltered view', async () => {
    const east = await registerCluster('grant-east');
    const west = await registerCluster('grant-west');
    const wsA = await createWorkspace('ws-a');
    await backdate('workspaces', wsA, 7200);
    await grant(wsA, east.id);
    await grant(wsA, west.id);
    const start = minute(3600);
    await meter(
      east.token,
      windowOf(start, 60, [{ namespace: 'a-web', workspace: 'ws-a', cores: 2 }]),
    );
    await meter(
      west.token,
      windowOf(start, 60, [{ namespace: 'a-db', workspace: 'ws-a', cores: 1 }]),
    );
    await meter(
      east.token,
      windowOf(start + 60, 60, [{ namespace: 'x', workspace: 'beta', cores: 5 }]),
    );
    const range = `start=${start - 3600}&end=${nowS()}`;
    const all = await metering('admin', `level=workspace&${range}`);
    const unfiltered = all.filter((i) => i.selector.workspace === 'ws-a');
    expect(cpu(unfiltered)).toBeCloseTo((3 * 60) / 3600, 9);
    const filtered = await metering('admin', `level=workspace&workspace=ws-a&${range}`);
    expect(filtered).toHaveLength(1);
    expect(cpu(filtered)).toBeCloseTo(cpu(unfiltered), 9);
    // Namespaces summed both ways agree too.
    const perNs = await metering('admin', `level=namespace&workspace=ws-a&${range}`);
    expect(perNs.map((i) => [i.selector.cluster, i.selector.namespace]).sort()).toEqual([
      ['grant-east', 'a-web'],
      ['grant-west', 'a-db'],
    ]);
    expect(cpu(perNs)).toBeCloseTo(cpu(filtered), 9);
    // A member of ws-a reads it there, and nothing of another workspace in the same cluster.
    await bindUser('beta-viewer', 'workspace', wsA, 'workspace-viewer');
    const mine = await metering('beta-viewer', `level=namespace&${range}`);
    expect(mine.filter((i) => i.selector.namespace === 'x')).toEqual([]);
    expect(cpu(mine.filter((i) => i.selector.cluster?.startsWith('grant-')))).toBeCloseTo(
      cpu(perNs),
      9,
    );
    const bill = await api('GET', `/api/v1/workspaces/ws-a/bill?${range}`, fx.as('beta-viewer'));
    expect(bill.status).toBe(200);
    expect((bill.body as { rows: { namespace: string }[] }).rows.map((r) => r.namespace)).toEqual([
      'a-web',
      'a-db',
    ]);
  });
});

describe('attack 7: a re-created cluster starts empty', () => {
  it('does not show the deleted predecessor’s metering or resolved alerts', async () => {
    const first = await registerCluster('reborn');
    const start = minute(1800);
    await meter(first.token, windowOf(start, 60, [{ namespace: 'n', workspace: 'w', cores: 4 }]));
    const past = new Date(Date.now() - 60_000).toISOString();
    const post = await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'OldTrouble', cluster: 'reborn' }, startsAt: past, endsAt: past },
    ]);
    expect(post.status).toBe(200);
    // The predecessor's agent reported a namespace.
    const agent = await connectAgent(first.token, 'inventory-agent');
    agents.push(agent);
    const counts = {
      deployments: 1,
      statefulsets: 0,
      daemonsets: 0,
      jobs: 0,
      cronjobs: 0,
      pods: 1,
    };
    await agent.send({
      type: 'inventory',
      update: {
        type: 'snapshot',
        seq: 1,
        cluster: { kubernetesVersion: 'v1.30.2', platform: 'linux/amd64' },
        nodes: [],
        namespaces: [{ name: 'old-secrets', phase: 'Active', workloads: counts }],
        events: [],
      },
    });
    const namespaces = async () =>
      (
        (await api('GET', '/api/v1/clusters/reborn/namespaces', fx.as('admin'))).body as {
          items: { name: string }[];
        }
      ).items.map((n) => n.name);
    await vi.waitFor(async () => expect(await namespaces()).toEqual(['old-secrets']));
    agent.ws.close();
    const range = `start=${start - 60}&end=${nowS()}`;
    expect(cpu(await metering('admin', `level=cluster&cluster=reborn&${range}`))).toBeGreaterThan(
      0,
    );
    expect((await api('DELETE', '/api/v1/clusters/reborn', fx.as('admin'))).status).toBe(204);

    const second = await registerCluster('reborn');
    expect(second.id).not.toBe(first.id);
    await bindUser('east-viewer', 'cluster', second.id, 'cluster-admin');
    expect(cpu(await metering('east-viewer', `level=cluster&cluster=reborn&${range}`))).toBe(0);
    expect(cpu(await metering('admin', `level=cluster&cluster=reborn&${range}`))).toBe(0);
    expect(await namespaces()).toEqual([]);
    const resolved = await api(
      'GET',
      '/api/v1/alerts/resolved?filter=cluster%3D%22reborn%22',
      fx.as('east-viewer'),
    );
    expect(resolved.status).toBe(200);
    expect(resolved.body).toEqual([]);
  });

  it('deleting a cluster wipes its metering store and alert shard', async () => {
    const c = await registerCluster('wiped');
    const start = minute(1800);
    await meter(c.token, windowOf(start, 60, [{ namespace: 'n', workspace: 'w' }]));
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'Doomed', cluster: 'wiped' } },
    ]);
    const store = meteringStoreOf(env, c.id);
    const shard = env.ALERT_GROUPS.getByName(clusterShard(c.id));
    const tables = () =>
      runInDurableObject(
        store,
        (_i, state) =>
          state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray()
            .length,
      );
    expect(await tables()).toBeGreaterThan(0);
    expect(await shard.listAlerts([])).toHaveLength(1);
    expect((await api('DELETE', '/api/v1/clusters/wiped', fx.as('admin'))).status).toBe(204);
    expect(await tables()).toBe(0);
    expect(await runInDurableObject(store, (_i, state) => state.storage.getAlarm())).toBeNull();
    expect(await shard.listAlerts([])).toEqual([]);
    expect(await runInDurableObject(shard, (_i, state) => state.storage.getAlarm())).toBeNull();
  });

  it('alerts posted for an unregistered name never surface in a cluster registered later under it', async () => {
    const post = await api('POST', '/api/v2/alerts', fx.as('admin'), [
      { labels: { alertname: 'BeforeBirth', cluster: 'later', severity: 'critical' } },
    ]);
    expect(post.status).toBe(200);
    const later = await registerCluster('later');
    await bindUser('east-viewer', 'cluster', later.id, 'cluster-admin');
    const listed = await api('GET', '/api/v2/alerts', fx.as('east-viewer'));
    expect(listed.status).toBe(200);
    expect(
      (listed.body as { labels: Record<string, string> }[]).filter(
        (a) => a.labels.alertname === 'BeforeBirth',
      ),
    ).toEqual([]);
    // The platform still sees it, as it did before the cluster existed.
    const platform = (await api('GET', '/api/v2/alerts', fx.as('admin'))).body as {
      labels: Record<string, string>;
    }[];
    expect(platform.some((a) => a.labels.alertname === 'BeforeBirth')).toBe(true);
    // The overview does not count it as the new cluster's.
    const overview = (await api('GET', '/api/v1/overview', fx.as('admin'))).body as {
      clusters: { name: string; firingAlerts: number }[];
    };
    expect(overview.clusters.find((c) => c.name === 'later')?.firingAlerts).toBe(0);
  });
});

describe('attack 7: a re-created workspace starts empty', () => {
  it('does not see the predecessor’s bills, usage, resolved alerts or audit', async () => {
    const c = await registerCluster('ws-reuse');
    const old = await createWorkspace('phoenix');
    await backdate('workspaces', old, 4 * 3600);
    await grant(old, c.id);
    const oldNs = crypto.randomUUID();
    await env.DB.prepare(
      'INSERT INTO namespaces (id, cluster_id, name, workspace_id, created_at) VALUES (?, ?, ?, ?, ?)',
    )
      .bind(oldNs, c.id, 'phoenix-web', old, Date.now() - 4 * 3600_000)
      .run();
    await meter(
      c.token,
      windowOf(minute(3 * 3600), 60, [
        { namespace: 'phoenix-web', workspace: 'phoenix', cores: 8 },
      ]),
    );
    const past = new Date(Date.now() - 2.5 * 3600_000).toISOString();
    await api('POST', '/api/v2/alerts', fx.as('admin'), [
      {
        labels: { alertname: 'PredecessorTrouble', cluster: 'ws-reuse', namespace: 'phoenix-web' },
        startsAt: past,
        endsAt: past,
      },
    ]);
    expect(
      (await api('PUT', '/api/v1/workspaces/phoenix', fx.as('admin'), { description: 'old' }))
        .status,
    ).toBe(200);
    expect((await api('DELETE', '/api/v1/workspaces/phoenix', fx.as('admin'))).status).toBe(204);
    // The predecessor's life was three hours ago, as its facts were.
    await env.DB.prepare("UPDATE audit_events SET time = ? WHERE workspace = 'phoenix'")
      .bind(Date.now() - 3 * 3600_000)
      .run();

    const reborn = await createWorkspace('phoenix');
    await backdate('workspaces', reborn, 2 * 3600);
    await grant(reborn, c.id);
    await env.DB.prepare(
      'INSERT INTO namespaces (id, cluster_id, name, workspace_id, created_at) VALUES (?, ?, ?, ?, ?)',
    )
      .bind(crypto.randomUUID(), c.id, 'phoenix-web', reborn, Date.now() - 2 * 3600_000)
      .run();
    await meter(
      c.token,
      windowOf(minute(3600), 60, [{ namespace: 'phoenix-web', workspace: 'phoenix', cores: 1 }]),
    );
    await bindUser('beta-viewer', 'workspace', reborn, 'workspace-admin');
    const range = `start=${minute(5 * 3600)}&end=${nowS()}`;
    const bill = await api('GET', `/api/v1/workspaces/phoenix/bill?${range}`, fx.as('beta-viewer'));
    expect(bill.status).toBe(200);
    expect(
      (bill.body as { totals: { quantities: { cpu_usage: number } } }).totals.quantities.cpu_usage,
    ).toBeCloseTo(60 / 3600, 9);
    const usage = await metering('beta-viewer', `level=namespace&${range}`);
    expect(cpu(usage.filter((i) => i.selector.cluster === 'ws-reuse'))).toBeCloseTo(60 / 3600, 9);
    // Asked by the platform with the workspace filter: the workspace of that name now.
    expect(cpu(await metering('admin', `level=workspace&workspace=phoenix&${range}`))).toBeCloseTo(
      60 / 3600,
      9,
    );
    const resolved = (await api('GET', '/api/v1/alerts/resolved', fx.as('beta-viewer'))).body as {
      labels: Record<string, string>;
    }[];
    expect(resolved.filter((a) => a.labels.alertname === 'PredecessorTrouble')).toEqual([]);
    const audit = (await api('GET', '/api/v1/audit?workspace=phoenix', fx.as('beta-viewer')))
      .body as {
      items: { verb: string; time: string }[];
    };
    expect(audit.items.filter((e) => e.verb === 'update' || e.verb === 'delete')).toEqual([]);
    const platformAudit = (await api('GET', '/api/v1/audit?workspace=phoenix', fx.as('admin')))
      .body as { items: { verb: string }[] };
    expect(platformAudit.items.some((e) => e.verb === 'delete')).toBe(false);
    const everything = (await api('GET', '/api/v1/audit?resource=workspaces', fx.as('admin')))
      .body as { items: { verb: string; name: string | null }[] };
    // The platform keeps the history of the deleted one (unfiltered).
    expect(everything.items.some((e) => e.verb === 'delete' && e.name === 'phoenix')).toBe(true);
  });
});

describe('attack 9: bill CSV cells cannot be formulas', () => {
  it('neutralizes text cells starting with = + - @ tab or CR, keeps numbers numbers', () => {
    expect(csvField('=HYPERLINK("http://evil","x")')).toBe(`"'=HYPERLINK(""http://evil"",""x"")"`);
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('\tx')).toBe("'\tx");
    expect(csvField('\r=1')).toBe(`"'\r=1"`);
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('-1.5')).toBe('-1.5');
    expect(csvField('+3e-7')).toBe('+3e-7');
    expect(csvField('web')).toBe('web');
    expect(csvField('a,b')).toBe('"a,b"');
  });

  it('a workload named like a formula is exported as text', async () => {
    const c = await registerCluster('csv-cluster');
    const wsId = (await row("SELECT id FROM workspaces WHERE name = 'alpha'"))?.id ?? '';
    await grant(wsId, c.id);
    await backdate('workspaces', wsId, 3 * 3600);
    const start = minute(1800);
    await meter(
      c.token,
      windowOf(start, 60, [
        {
          namespace: 'alpha-x',
          workspace: 'alpha',
          workloadKind: 'Pod',
          workload: '=1+2',
          pod: '=1+2',
        },
        {
          namespace: 'alpha-x',
          workspace: 'alpha',
          workloadKind: 'Pod',
          workload: '@cmd',
          pod: '@cmd',
        },
      ]),
    );
    const csv = await api(
      'GET',
      `/api/v1/workspaces/alpha/bill?format=csv&groupBy=workload&start=${start - 60}&end=${nowS()}`,
      fx.as('admin'),
    );
    expect(csv.status).toBe(200);
    const text = String(csv.body);
    expect(text).toContain(",'=1+2,");
    expect(text).toContain(",'@cmd,");
    expect(text.split('\r\n').some((line) => /(^|,)[=+@]/.test(line))).toBe(false);
  });
});
