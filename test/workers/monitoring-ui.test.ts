import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assets } from '../../functions/ui/assets';
import { monitoringAssets } from '../../functions/ui/monitoring-assets';
import { SeriesChart } from '../../functions/ui/monitoring-chart';
import { axisTicks, formatValue } from '../../functions/ui/monitoring-units';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { matrix, serveRequests, vector } from './support/monitoring-agent';
import { browserSessions } from './support/ui-sessions';

let fx: Fixture;
let agent: TestAgent;
let server: ReturnType<typeof serveRequests>;

const as = browserSessions();
const page = async (persona: Persona, path: string) => {
  const res = await (await as(persona)).get(path);
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
};
const submit = async (persona: Persona, path: string, fields: Record<string, string>) => {
  const browser = await as(persona);
  const res = await browser.post(path, { _csrf: browser.csrf, ...fields });
  return { status: res.status, html: await res.text(), location: res.headers.get('location') };
};

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/amd64' },
  nodes: [
    {
      name: 'edge-1',
      ready: true,
      edge: true,
      roles: ['agent', 'edge'],
      kubeletVersion: 'v1.29.5-kubeedge-v1.17.0',
      capacity: { cpu: '2', memory: '4Gi' },
      allocatable: { cpu: '2', memory: '4Gi' },
      addresses: [{ type: 'InternalIP', address: '192.168.1.10' }],
      unschedulable: false,
    },
  ],
  namespaces: [],
  events: [],
};

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-ui');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  const now = Math.floor(Date.now() / 1000);
  // Pseudo-random walks (a fixed LCG), so the page weight is measured on data that compresses like real data.
  let seed = 7;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const values = (base: number): [number, string][] =>
    Array.from({ length: 60 }, (_, i) => [
      now - 3600 + i * 60,
      String(Math.round(base + random() * 7e8)),
    ]);
  server = serveRequests(agent, (frame) => {
    if (frame.target === 'kube') {
      const item = { metadata: { name: 'edge-1' }, usage: { cpu: '500m', memory: '1Gi' } };
      if (frame.path.endsWith('/nodes/edge-1') && frame.path.startsWith('/apis/'))
        return { status: 200, body: item };
      if (frame.path.startsWith('/apis/metrics.k8s.io'))
        return { status: 200, body: { items: [item] } };
      return { status: 200, body: { status: { conditions: [{ type: 'Ready', status: 'True' }] } } };
    }
    if (frame.path.startsWith('/api/v1/query_range') && frame.path.includes('node_'))
      return {
        status: 200,
        body: matrix([
          {
            metric: {},
            values: [
              [now - 60, '0.4'],
              [now, '0.5'],
            ],
          },
        ]),
      };
    if (frame.path.startsWith('/api/v1/query_range'))
      return {
        status: 200,
        body: matrix([
          { metric: { pod: 'web-1' }, values: values(2e9) },
          { metric: { pod: 'web-2' }, values: values(1e9) },
        ]),
      };
    return { status: 200, body: vector([]) };
  });
});
afterAll(async () => {
  await server.stop();
});

const newForm = (fields: Record<string, string>) => ({
  name: 'memory',
  title: 'Memory',
  position: '',
  count: '2',
  'title.0': 'Working set',
  'query.0': 'sum by (pod) (container_memory_working_set_bytes)',
  'unit.0': 'bytes',
  'range.0': '1h',
  ...fields,
});

describe('editing a dashboard', () => {
  it('shows PromQL errors at the field with line and column, keeps what was typed, then saves (PRG)', async () => {
    const bad = await submit(
      'east-admin',
      '/ui/clusters/east/monitoring/_new',
      newForm({ 'query.0': 'sum by (pod) (\n  rate(x[5m]' }),
    );
    expect(bad.status).toBe(400);
    expect(bad.html).toMatch(/id="e-query-0"[^>]*>Line 2, column \d+: /);
    expect(bad.html).toContain('aria-invalid="true"');
    expect(bad.html).toContain('rate(x[5m]</textarea>');
    const good = await submit('east-admin', '/ui/clusters/east/monitoring/_new', newForm({}));
    expect(good.status).toBe(303);
    expect(good.location).toBe('/ui/clusters/east/monitoring/memory?notice=saved');
  });

  it('loads the PromQL editor only on the editing page, as a separate asset', async () => {
    const edit = await page('east-admin', '/ui/clusters/east/monitoring/memory/edit');
    expect(edit.status).toBe(200);
    expect(edit.html).toContain(`<script src="${monitoringAssets.editor.path}" defer`);
    expect(edit.html).toContain('data-promql');
    const view = await page('east-admin', '/ui/clusters/east/monitoring/memory');
    expect(view.html).not.toContain('promql-editor');
    const script = await (await as('east-admin')).get(monitoringAssets.editor.path);
    expect(script.status).toBe(200);
    expect(script.headers.get('cache-control')).toContain('immutable');
    expect(script.headers.get('content-type')).toContain('javascript');
  });

  it('refuses a namespace query naming another namespace, at the field', async () => {
    const res = await submit(
      'proj-operator',
      '/ui/workspaces/alpha/namespaces/alpha-web/monitoring/_new?cluster=east',
      {
        ...newForm({ name: 'web' }),
        'query.0': 'sum(up{namespace="beta-web"})',
      },
    );
    expect(res.status).toBe(400);
    expect(res.html).toMatch(
      /id="e-query-0"[^>]*>Line 1, column \d+: this selector names a namespace other than/,
    );
  });
});

describe('the dashboard page', () => {
  it('draws each panel as an SVG chart with unit-aware marks and distinct lines, without script', async () => {
    const { status, html } = await page('east-viewer', '/ui/clusters/east/monitoring/memory');
    expect(status).toBe(200);
    expect(html).toContain('<svg viewBox="0 0 320 170" role="img"');
    expect(html).toContain('font-size="12"');
    expect(html).toMatch(/class="tick"[^>]*>\d+(\.\d+)? GiB<\/text>/);
    expect(html).toContain('class="line c0"');
    expect(html).toContain('class="line c1"');
    expect(html).toContain('pod=&quot;web-1&quot;');
    // Viewers get no editing.
    expect(html).not.toContain('/monitoring/memory/edit');
    expect(html).not.toContain('/monitoring/memory/delete');
    const edit = await page('east-viewer', '/ui/clusters/east/monitoring/memory/edit');
    expect(edit.status).toBe(303);
    const post = await submit(
      'east-viewer',
      '/ui/clusters/east/monitoring/memory/edit',
      newForm({}),
    );
    expect(post.status).toBe(403);
  });

  it('stays within 10 KB on the wire when the assets are cached (measured gzip)', async () => {
    const { html } = await page('east-viewer', '/ui/clusters/east/monitoring/memory');
    const gz = async (text: string) =>
      (
        await new Response(
          new Blob([text]).stream().pipeThrough(new CompressionStream('gzip')),
        ).arrayBuffer()
      ).byteLength;
    const warm = await gz(html);
    const cold =
      warm +
      (await gz(assets.css.body)) +
      (await gz(assets.js.body)) +
      (await gz(monitoringAssets.css.body));
    const edit = (await page('east-admin', '/ui/clusters/east/monitoring/memory/edit')).html;
    const editWarm = await gz(edit);
    const editCold =
      editWarm +
      (await gz(assets.css.body)) +
      (await gz(assets.js.body)) +
      (await gz(monitoringAssets.css.body)) +
      (await gz(monitoringAssets.editor.body));
    const six = Object.fromEntries(
      Array.from({ length: 6 }, (_, i) => [
        [`title.${i}`, `Panel ${i}`],
        [`query.${i}`, `sum by (pod) (container_memory_working_set_bytes{container="c${i}"})`],
        [`unit.${i}`, 'bytes'],
        [`range.${i}`, '1h'],
      ]).flat(),
    );
    const created = await submit('east-admin', '/ui/clusters/east/monitoring/_new', {
      name: 'six',
      title: 'Six',
      position: '',
      count: '7',
      ...six,
    });
    expect(created.status).toBe(303);
    const sixHtml = (await page('east-viewer', '/ui/clusters/east/monitoring/six')).html;
    const sixWarm = await gz(sixHtml);
    console.log(
      `monitoring pages (gzip bytes): dashboard 1 panel warm ${warm} cold ${cold} (html raw ${html.length}); 6 panels x 2 lines x 60 points warm ${sixWarm} (html raw ${sixHtml.length}); edit warm ${editWarm} cold ${editCold}`,
    );
    expect(sixWarm).toBeLessThan(10 * 1024);
    expect(warm).toBeLessThan(10 * 1024);
    expect(editWarm).toBeLessThan(10 * 1024);
  });

  it('asks before deleting, then deletes (PRG)', async () => {
    const confirm = await page('east-admin', '/ui/clusters/east/monitoring/memory/delete');
    expect(confirm.html).toContain('action="/ui/clusters/east/monitoring/memory/delete"');
    const done = await submit('east-admin', '/ui/clusters/east/monitoring/memory/delete', {});
    expect(done.status).toBe(303);
    const list = await page('east-admin', done.location ?? '');
    expect(list.html).toContain('Deleted memory.');
    expect(list.html).toContain('/ui/clusters/east/monitoring/_new');
    expect((await page('east-viewer', '/ui/clusters/east/monitoring')).html).not.toContain('_new');
    expect((await page('alpha-admin', '/ui/clusters/east/monitoring')).status).toBe(404);
  });
});

describe('node pages', () => {
  it('show usage bars, conditions and history charts; the cluster page links them without waiting on the cluster', async () => {
    const node = await page('east-viewer', '/ui/clusters/east/nodes/edge-1');
    expect(node.status).toBe(200);
    expect(node.html).toContain('<meter');
    expect(node.html).toContain('500m / 2');
    expect(node.html).toContain('Edge node (KubeEdge)');
    expect(node.html).toContain('edge_stream_disabled');
    expect(node.html).toContain('role="img"');
    const usage = await page('east-viewer', '/ui/clusters/east/nodes');
    expect(usage.html).toContain('href="/ui/clusters/east/nodes/edge-1"');
    const seen = server.seen.length;
    const cluster = await page('east-viewer', '/ui/clusters/east');
    expect(cluster.html).toContain('href="/ui/clusters/east/nodes"');
    expect(cluster.html).toContain('href="/ui/clusters/east/monitoring"');
    expect(server.seen.length).toBe(seen);
    expect((await page('alpha-admin', '/ui/clusters/east/nodes/edge-1')).status).toBe(403);
  });
});

describe('chart and units', () => {
  it('formats by unit and puts marks on round numbers of that unit', () => {
    expect(formatValue(1.5 * 2 ** 30, 'bytes')).toBe('1.5 GiB');
    expect(formatValue(2048, 'bytes/s')).toBe('2 KiB/s');
    expect(formatValue(0.25, 'cores')).toBe('250m');
    expect(formatValue(0.004, 'seconds')).toBe('4 ms');
    expect(formatValue(42, 'percent')).toBe('42%');
    expect(axisTicks(0, 3 * 2 ** 30, 'bytes')).toEqual([0, 2 ** 30, 2 * 2 ** 30, 3 * 2 ** 30]);
    expect(axisTicks(0, 87, 'percent')).toEqual([0, 25, 50, 75, 100]);
  });

  it('gives lines beyond the five colours their own dash pattern', async () => {
    const lines = Array.from({ length: 7 }, (_, i) => ({
      label: `l${i}`,
      points: [
        [0, i],
        [60, i + 1],
      ] as [number, number][],
    }));
    const svg = String(
      await SeriesChart({
        title: 't',
        unit: null,
        lines,
        start: 0,
        end: 60,
        summaryLabel: 's',
      }).toString(),
    );
    expect(svg.match(/<polyline/g)).toHaveLength(7);
    expect(svg).toContain('stroke-dasharray="10 4"');
    expect(svg).toContain('stroke-dasharray="4 2 1 2"');
    expect(svg).toContain('<line class="axis"');
  });
});
