import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { clusters, namespaces } from '../../db/schema';
import type { MeteringResponse } from '../../functions/metering/metering-schema';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { clusterStore, hoursAgo, predateTenancy, windowOf } from './support/metering';

let fx: Fixture;
const HOURS = 6;
// Whole hours, a day and a half ago: minutes are still kept, so ragged edges resolve.
const T = hoursAgo(36);

/** Cores per namespace (memory 1 GiB each); `alpha-ml` is on a third cluster. */
const usage = {
  east: { 'alpha-web': 1, 'beta-web': 2 },
  west: { 'alpha-db': 0.5, 'beta-db': 4 },
  north: { 'alpha-ml': 3 },
} as const;
const workspaceOf = (ns: string) => ns.split('-')[0] ?? '';

beforeAll(async () => {
  fx = await seedFixture();
  const db = createDb(env.DB);
  const north = crypto.randomUUID();
  await db.insert(clusters).values({ id: north, name: 'north' });
  await db
    .insert(namespaces)
    .values({ name: 'alpha-ml', workspaceId: fx.ids.workspaces.alpha, clusterId: north });
  await predateTenancy();
  for (const [cluster, perNs] of Object.entries(usage)) {
    const store = await clusterStore(cluster);
    for (let h = 0; h < HOURS; h++)
      await store.ingest(
        `${cluster}-agent`,
        h,
        windowOf(
          T + h * 3600,
          3600,
          Object.entries(perNs).flatMap(([namespace, cores]) => [
            {
              namespace,
              workspace: workspaceOf(namespace),
              node: `${cluster}-1`,
              workload: 'app',
              pod: `app-${h}`,
              cores,
            },
            {
              namespace,
              workspace: workspaceOf(namespace),
              node: `${cluster}-2`,
              workloadKind: 'StatefulSet' as const,
              workload: 'db',
              pod: 'db-0',
              cores: 0,
              gib: 2,
            },
          ]),
        ),
      );
  }
});

async function metering(persona: Persona, query: string) {
  const res = await api('GET', `/api/v1/metering?${query}`, fx.as(persona));
  return {
    status: res.status,
    body: res.body as MeteringResponse & { code?: string; message?: string },
  };
}
const range = `start=${T}&end=${T + HOURS * 3600}`;
const cpuOf = (body: MeteringResponse) =>
  Object.fromEntries(
    body.items.map((i) => [
      Object.values(i.selector).join('/'),
      Number(i.metrics.cpu_usage?.sum.toFixed(6)),
    ]),
  );

describe('GET /api/v1/metering', () => {
  it('answers the contract shape with units, totals and series', async () => {
    const { status, body } = await metering('admin', `level=cluster&cluster=east&${range}&step=1h`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ level: 'cluster', start: T, end: T + HOURS * 3600, step: '1h' });
    expect(body.items).toHaveLength(1);
    const item = body.items[0];
    expect(item?.selector).toEqual({ cluster: 'east' });
    expect(item?.metrics.cpu_usage).toMatchObject({
      unit: 'core-hours',
      sum: 3 * HOURS,
      min: 3,
      max: 3,
      avg: 3,
    });
    expect(item?.metrics.memory_usage).toMatchObject({ unit: 'GiB-hours', sum: 6 * HOURS });
    expect(item?.metrics.net_bytes_received?.unit).toBe('GiB');
    expect(item?.metrics.net_bytes_transmitted?.unit).toBe('GiB');
    expect(item?.metrics.pvc_bytes_total?.unit).toBe('GiB-hours');
    expect(item?.metrics.cpu_usage?.series).toEqual(
      Array.from({ length: HOURS }, (_, h) => [T + h * 3600, 3]),
    );
  });

  it('takes RFC 3339 times and a metrics subset', async () => {
    const iso = (t: number) => new Date(t * 1000).toISOString();
    const { status, body } = await metering(
      'admin',
      `level=namespace&cluster=west&start=${iso(T)}&end=${iso(T + 7200)}&step=1h&metrics=cpu_usage`,
    );
    expect(status).toBe(200);
    expect(Object.keys(body.items[0]?.metrics ?? {})).toEqual(['cpu_usage']);
    expect(cpuOf(body)).toEqual({ 'west/alpha-db': 1, 'west/beta-db': 8 });
  });

  it('gives the same totals for step 1m, 1h and 1d over a range with ragged edges', async () => {
    const start = T + 3600 + 17 * 60;
    const end = T + 5 * 3600 + 43 * 60;
    const sums = [];
    for (const step of ['1m', '1h', '1d']) {
      const { status, body } = await metering(
        'admin',
        `level=workspace&start=${start}&end=${end}&step=${step}`,
      );
      expect(status).toBe(200);
      sums.push(cpuOf(body));
      const alpha = body.items.find((i) => i.selector.workspace === 'alpha');
      const fromSeries = alpha?.metrics.cpu_usage?.series.reduce((s, [, v]) => s + v, 0);
      expect(fromSeries).toBeCloseTo(alpha?.metrics.cpu_usage?.sum ?? -1, 9);
    }
    const hours = (end - start) / 3600;
    expect(sums[0]?.alpha).toBeCloseTo(4.5 * hours, 6);
    expect(sums[1]).toEqual(sums[0]);
    expect(sums[2]).toEqual(sums[0]);
  });

  it('spans every cluster a workspace has namespaces in (three here)', async () => {
    const { status, body } = await metering('admin', `level=workspace&workspace=alpha&${range}`);
    expect(status).toBe(200);
    expect(cpuOf(body)).toEqual({ alpha: (1 + 0.5 + 3) * HOURS });
    const perNamespace = await metering('admin', `level=namespace&workspace=alpha&${range}`);
    expect(cpuOf(perNamespace.body)).toEqual({
      'alpha/east/alpha-web': HOURS,
      'alpha/north/alpha-ml': 3 * HOURS,
      'alpha/west/alpha-db': 0.5 * HOURS,
    });
  });

  it('groups and filters at node, workload and pod level', async () => {
    const nodes = await metering('admin', `level=node&cluster=east&${range}`);
    expect(cpuOf(nodes.body)).toEqual({ 'east/east-1': 3 * HOURS, 'east/east-2': 0 });
    const workloads = await metering(
      'admin',
      `level=workload&cluster=east&namespace=beta-web&${range}`,
    );
    expect(workloads.body.items.map((i) => i.selector)).toEqual([
      { cluster: 'east', namespace: 'beta-web', workload: 'app', workloadKind: 'Deployment' },
      { cluster: 'east', namespace: 'beta-web', workload: 'db', workloadKind: 'StatefulSet' },
    ]);
    const pods = await metering(
      'admin',
      `level=pod&cluster=east&namespace=alpha-web&workload=app&${range}`,
    );
    // Pods that no longer run still count: they come from stored facts.
    expect(pods.body.items.map((i) => i.selector.pod)).toEqual(
      Array.from({ length: HOURS }, (_, h) => `app-${h}`),
    );
    const onNode = await metering('admin', `level=pod&cluster=east&node=east-2&${range}`);
    expect(onNode.body.items.map((i) => i.selector.namespace)).toEqual(['alpha-web', 'beta-web']);
  });
});

describe('metering tenancy', () => {
  it('shows a workspace viewer only their workspace, across its clusters', async () => {
    const { status, body } = await metering('alpha-viewer', `level=namespace&${range}`);
    expect(status).toBe(200);
    expect(Object.keys(cpuOf(body)).sort()).toEqual([
      'east/alpha-web',
      'north/alpha-ml',
      'west/alpha-db',
    ]);
    const cluster = await metering('alpha-viewer', `level=cluster&cluster=east&${range}`);
    expect(cpuOf(cluster.body)).toEqual({ east: HOURS });
    const workspaces = await metering('alpha-dev', `level=workspace&${range}`);
    expect(Object.keys(cpuOf(workspaces.body))).toEqual(['alpha']);
  });

  it("answers 404 for another tenant's workspace and cluster, 403 without metering rights", async () => {
    expect((await metering('alpha-viewer', `level=workspace&workspace=beta&${range}`)).status).toBe(
      404,
    );
    expect((await metering('beta-viewer', `level=namespace&cluster=north&${range}`)).status).toBe(
      404,
    );
    expect((await metering('east-viewer', `level=cluster&cluster=west&${range}`)).status).toBe(404);
    expect(
      (await metering('alpha-regular', `level=workspace&workspace=alpha&${range}`)).status,
    ).toBe(403);
    const none = await metering('regular', `level=cluster&${range}`);
    expect(none.status).toBe(200);
    expect(none.body.items).toEqual([]);
  });

  it('lets a cluster viewer read the whole cluster and a project viewer only the project', async () => {
    const east = await metering('east-viewer', `level=namespace&cluster=east&${range}`);
    expect(cpuOf(east.body)).toEqual({ 'east/alpha-web': HOURS, 'east/beta-web': 2 * HOURS });
    const project = await metering('proj-viewer', `level=namespace&${range}`);
    expect(cpuOf(project.body)).toEqual({ 'east/alpha-web': HOURS });
  });
});

describe('metering input validation', () => {
  it.each([
    ['step=7x', 'step'],
    ['step=0h', 'step'],
    ['step=1m&start=0&end=2000000', 'points'],
    ['start=yesterday', 'start'],
    [`start=${T + 10}&end=${T}`, 'end'],
    ['metrics=cpu_usage,gpu', 'gpu'],
    ['level=galaxy', 'level'],
  ])('refuses %s with a clear 400', async (query, mention) => {
    const { status, body } = await metering('admin', query);
    expect(status).toBe(400);
    expect(body.message).toContain(mention);
    expect(body).toHaveProperty('requestId');
  });
});

describe('metering in the OpenAPI document', () => {
  it('documents the metering, prices, bill and summary routes', async () => {
    const res = await api('GET', '/openapi.json', {});
    expect(res.status).toBe(200);
    const paths = (res.body as { paths: Record<string, Record<string, unknown>> }).paths;
    expect(Object.keys(paths['/api/v1/metering'] ?? {})).toEqual(['get']);
    expect(Object.keys(paths['/api/v1/metering/prices'] ?? {}).sort()).toEqual(['get', 'put']);
    expect(paths['/api/v1/workspaces/{ws}/bill']?.get).toBeDefined();
    expect(paths['/api/v1/workspaces/{ws}/metering/summary']?.get).toBeDefined();
  });
});
