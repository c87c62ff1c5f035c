import { env } from 'cloudflare:workers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestAgent } from './support/agent-socket';
import { appId, grantedCluster, leader, nextApply, readyStatus } from './support/delivery';
import { api, type Fixture, seedFixture } from './support/fixture';

/**
 * The edge's D1 cost of one edit, per cluster: D1 statements, rows returned
 * and rows written (from D1's meta) from the PUT through every cluster's
 * apply and `ready` report, measured at 1 and SIZE clusters; the slope is
 * the cost each cluster adds. Counted by wrapping the D1 binding's
 * prototype (the worker and the tunnels run in this isolate).
 * It prints the figures (docs/delivery.md "Numbers").
 */
const SIZE = 8;
let fx: Fixture;
const counters = { statements: 0, rowsReturned: 0, rowsWritten: 0, rowsRead: 0 };
const restore: (() => void)[] = [];

function countD1(): void {
  const db = Object.getPrototypeOf(env.DB) as D1Database;
  const prepare = db.prepare;
  const batch = db.batch;
  const statementProto = Object.getPrototypeOf(env.DB.prepare('SELECT 1')) as D1PreparedStatement;
  const { run, all, raw, first } = statementProto;
  const meta = (result: unknown) => {
    const m = (result as { meta?: { rows_read?: number; rows_written?: number } }).meta;
    counters.rowsRead += m?.rows_read ?? 0;
    counters.rowsWritten += m?.rows_written ?? 0;
  };
  Object.assign(db, {
    prepare(this: D1Database, query: string) {
      counters.statements++;
      return prepare.call(this, query);
    },
    async batch(this: D1Database, statements: D1PreparedStatement[]) {
      const results = await batch.call(this, statements);
      for (const r of results) meta(r);
      return results;
    },
  });
  Object.assign(statementProto, {
    async run(this: D1PreparedStatement) {
      const result = await run.call(this);
      meta(result);
      return result;
    },
    async all(this: D1PreparedStatement) {
      const result = await all.call(this);
      meta(result);
      counters.rowsReturned += result.results.length;
      return result;
    },
    async raw(this: D1PreparedStatement, options?: { columnNames?: boolean }) {
      const rows = (await raw.call(this, options as never)) as unknown[];
      counters.rowsReturned += rows.length;
      return rows;
    },
    async first(this: D1PreparedStatement, column?: string) {
      const row = await (
        first as (this: D1PreparedStatement, column?: string) => Promise<unknown>
      ).call(this, column);
      if (row !== null) counters.rowsReturned++;
      return row;
    },
  });
  restore.push(() => {
    Object.assign(db, { prepare, batch });
    Object.assign(statementProto, { run, all, raw, first });
  });
}

const manifests = [
  {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'nginx:1' }] },
      },
    },
  },
];

const agents: TestAgent[] = [];
const clusters: string[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  fx = await seedFixture();
  for (let i = 0; i < SIZE; i++) {
    const name = `cost-${i}`;
    const { joinToken } = await grantedCluster(fx, name, { fleet: 'cost' });
    agents.push(await leader(joinToken));
    clusters.push(name);
    tokens.push(joinToken);
  }
  countD1();
});

afterAll(() => {
  for (const undo of restore) undo();
});

/** One edit's D1 cost with the app on the first `n` clusters (each applies and reports ready). */
async function editCost(name: string, n: number) {
  const body = (image: string) => ({
    namespace: 'alpha-apps',
    manifests: [
      {
        ...manifests[0],
        spec: {
          ...manifests[0]?.spec,
          template: {
            ...manifests[0]?.spec.template,
            spec: { containers: [{ name: 'web', image }] },
          },
        },
      },
    ],
    placement: { clusters: clusters.slice(0, n) },
  });
  const created = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
    name,
    ...body('nginx:1'),
  });
  expect(created.status).toBe(201);
  const id = await appId(name);
  for (const agent of agents.slice(0, n)) {
    await nextApply(agent);
    await agent.send(readyStatus(id, 1));
  }
  await new Promise((r) => setTimeout(r, 200));
  Object.assign(counters, { statements: 0, rowsReturned: 0, rowsWritten: 0, rowsRead: 0 });
  const put = await api('PUT', `/api/v1/workspaces/alpha/apps/${name}`, fx.as('alpha-admin'), {
    ...body('nginx:2'),
  });
  expect(put.status).toBe(200);
  for (const agent of agents.slice(0, n)) {
    const frame = await nextApply(agent);
    expect(frame.apps[0]?.generation).toBe(2);
    await agent.send(readyStatus(id, 2));
  }
  await new Promise((r) => setTimeout(r, 300));
  const view = await api('GET', `/api/v1/workspaces/alpha/apps/${name}`, fx.as('alpha-admin'));
  expect((view.body as { status: { phase: string } }).status.phase).toBe('Ready');
  return { ...counters };
}

/**
 * One catch-up's D1 cost on the first `n` clusters: a new leader says it
 * holds generation 1 of the app (at 2), gets the apply and reports ready.
 */
async function catchUpCost(name: string, n: number, round: number) {
  const id = await appId(name);
  Object.assign(counters, { statements: 0, rowsReturned: 0, rowsWritten: 0, rowsRead: 0 });
  for (const token of tokens.slice(0, n)) {
    const agent = await leader(token, [{ appId: id, generation: 1 }], `catch-up-${round}`);
    const frame = await nextApply(agent);
    expect(frame.apps[0]?.generation).toBe(2);
    await agent.send(readyStatus(id, 2));
    agents.push(agent);
  }
  await new Promise((r) => setTimeout(r, 300));
  return { ...counters };
}

const slope = (one: typeof counters, many: typeof counters) =>
  Object.fromEntries(
    Object.keys(one).map((k) => [
      k,
      Number(((many[k as keyof typeof one] - one[k as keyof typeof one]) / (SIZE - 1)).toFixed(1)),
    ]),
  );

describe('delivery: the edge cost of an edit per cluster', () => {
  it(`grows linearly: 1 vs ${SIZE} clusters`, async () => {
    const one = await editCost('cost-one', 1);
    const many = await editCost('cost-many', SIZE);
    const perCluster = slope(one, many);
    console.log(JSON.stringify({ one, many, size: SIZE, perCluster }));
    // Each cluster adds a bounded number of statements (push, apply, report), not O(N).
    expect(perCluster.statements).toBeLessThanOrEqual(12);
    // Rows too: a report no longer reads every entry of the app (that grew as N per cluster).
    expect(perCluster.rowsReturned).toBeLessThanOrEqual(12);
    expect(many.statements).toBeLessThan(one.statements + 12 * (SIZE - 1) + 1);
  });

  it(`a catch-up costs the same per cluster: 1 vs ${SIZE} clusters`, async () => {
    const one = await catchUpCost('cost-one', 1, 1);
    const many = await catchUpCost('cost-many', SIZE, 2);
    const perCluster = slope(one, many);
    console.log(JSON.stringify({ catchUp: { one, many, size: SIZE, perCluster } }));
    // Linear: each cluster costs what the first did (hello, delivery-state, apply, report).
    expect(perCluster.statements).toBeLessThanOrEqual(one.statements);
    expect(perCluster.rowsReturned).toBeLessThanOrEqual(one.rowsReturned);
  });
});
