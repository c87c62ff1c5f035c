import { beforeAll, describe, expect, it } from 'vitest';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import type { Browser } from './support/ui-browser';
import { browserSessions } from './support/ui-sessions';

/**
 * Issue #18's known gaps: live figures on every page (not only the
 * overview), the silenced list and the silences paged, the price form
 * focusing its first problem.
 */
let fx: Fixture;
let agent: TestAgent;

const as = browserSessions();

async function html(persona: Persona, path: string) {
  const res = await (await as(persona)).get(path);
  expect(res.status).toBe(200);
  return res.text();
}

/** The text of every element marked `data-live="<key>"` (tags stripped). */
function liveText(page: string, key: string): string {
  const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const open = new RegExp(`<([a-z0-9]+)[^>]*data-live="${esc}"[^>]*>`).exec(page);
  if (!open) throw new Error(`no data-live="${key}" on the page`);
  const rest = page.slice(open.index + open[0].length);
  // Enough for the flat elements live parts are: up to the element's own closing tag.
  const tag = open[1] ?? '';
  let depth = 1;
  const re = new RegExp(`<${tag}[\\s>]|</${tag}>`, 'g');
  for (let m = re.exec(rest); m; m = re.exec(rest)) {
    depth += m[0].startsWith('</') ? -1 : 1;
    if (depth === 0) return rest.slice(0, m.index).replace(/<[^>]+>/g, '');
  }
  throw new Error(`data-live="${key}" not closed`);
}

const node = (name: string, ready: boolean) => ({
  name,
  ready,
  edge: false,
  roles: ['worker'],
  kubeletVersion: 'v1.31.0',
  capacity: { cpu: '4' },
  allocatable: { cpu: '4' },
  addresses: [],
  unschedulable: false,
});

const snapshot = (seq: number, readyB: boolean): InventorySnapshot => ({
  type: 'snapshot',
  seq,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/arm64' },
  nodes: [node('east-a', true), node('east-b', readyB)],
  namespaces: [],
  events: [],
});

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-live');
  await agent.send({ type: 'inventory', update: snapshot(1, true) });
  await agent.nextOf('ack');
  // 25 alerts on west (silenced below, so more than one page of silenced alerts) and 1 firing on east.
  const alerts = Array.from({ length: 25 }, (_, i) => ({
    labels: {
      alertname: `Quiet${String(i).padStart(2, '0')}`,
      cluster: 'west',
      namespace: 'alpha-db',
      severity: 'warning',
      batch: 'quiet',
    },
    annotations: { summary: `quiet ${i}` },
    startsAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
    endsAt: inAnHour(),
  }));
  alerts.push({
    labels: {
      alertname: 'EastLoud',
      cluster: 'east',
      namespace: 'alpha-web',
      severity: 'critical',
      batch: 'loud',
    },
    annotations: { summary: 'east is loud' },
    startsAt: new Date(Date.now() - 60_000).toISOString(),
    endsAt: inAnHour(),
  });
  expect((await api('POST', '/api/v2/alerts', fx.as('admin'), alerts)).status).toBe(200);
  // 23 silences: one covers the quiet batch, the others match nothing (more than a page of silences).
  for (let i = 0; i < 23; i++) {
    const res = await api('POST', '/api/v2/silences', fx.as('admin'), {
      matchers: [
        i === 0
          ? { name: 'batch', value: 'quiet', isRegex: false, isEqual: true }
          : { name: 'alertname', value: `Nothing${i}`, isRegex: false, isEqual: true },
      ],
      startsAt: new Date().toISOString(),
      endsAt: inAnHour(),
      createdBy: 'admin',
      comment: `silence ${i}`,
    });
    expect(res.status).toBe(200);
  }
});

describe('live figures on every page, not only the overview', () => {
  it('the clusters page marks each badge and each cluster line, and the line follows the inventory', async () => {
    const before = await html('admin', '/ui/clusters');
    expect(before).toMatch(/data-live="badge\.east"[^>]*data-live-cluster="east"/);
    expect(liveText(before, 'cluster.east.line')).toContain('2 of 2 ready');
    await agent.send({ type: 'inventory', update: snapshot(2, false) });
    await agent.nextOf('ack');
    const after = await html('admin', '/ui/clusters');
    expect(liveText(after, 'cluster.east.line')).toContain('1 of 2 ready');
    expect(liveText(after, 'badge.east')).toBe('Critical');
    await agent.send({ type: 'inventory', update: snapshot(3, true) });
    await agent.nextOf('ack');
  });

  it('a cluster page marks its status line, alert count, nodes and namespaces as live', async () => {
    const page = await html('admin', '/ui/clusters/east');
    expect(liveText(page, 'badge.east')).toBe('Critical');
    expect(liveText(page, 'cluster.east.status')).toContain('2 of 2 ready');
    expect(liveText(page, 'cluster.east.alerts')).toBe('1');
    expect(liveText(page, 'cluster.east.nodes')).toContain('east-b');
    expect(page).toMatch(/data-live="cluster\.east\.namespaces"/);
  });

  it('the alerts page marks its firing and silenced counts as live', async () => {
    const page = await html('admin', '/ui/alerts');
    expect(liveText(page, 'alerts.firing')).toBe('1');
    expect(liveText(page, 'alerts.silenced')).toBe('25');
  });

  it("a workspace page marks its quota's used / hard figures as live", async () => {
    const put = await api('PUT', '/api/v1/workspaces/alpha/quota', fx.as('admin'), {
      hard: { pods: '50' },
    });
    expect(put.status).toBe(200);
    const page = await html('admin', '/ui/workspaces/alpha');
    expect(liveText(page, 'quota')).toContain('0 / 50');
  });

  it('live keys are unique on each page, so the script can match them one to one', async () => {
    for (const path of [
      '/ui',
      '/ui/clusters',
      '/ui/clusters/east',
      '/ui/alerts',
      '/ui/workspaces/alpha',
    ]) {
      const page = await html('admin', path);
      const keys = [...page.matchAll(/data-live="([^"]+)"/g)].map((m) => m[1]);
      expect(keys.length, path).toBeGreaterThan(0);
      expect(new Set(keys).size, path).toBe(keys.length);
    }
  });
});

describe('lists that grow are paged with labelled links', () => {
  it('pages the silenced alerts, 20 a page', async () => {
    const first = await html('admin', '/ui/alerts');
    const silenced = first.slice(first.indexOf('id="suppressed"'), first.indexOf('id="silences"'));
    expect(silenced.match(/Quiet\d\d/g)?.length).toBe(20);
    expect(silenced).toMatch(/<nav class="paging" aria-label="Silenced"/);
    expect(silenced).toContain('href="/ui/alerts?spage=2#suppressed"');
    expect(silenced).toContain('Page 1 of 2');
    const second = await html('admin', '/ui/alerts?spage=2');
    const rest = second.slice(second.indexOf('id="suppressed"'), second.indexOf('id="silences"'));
    expect(rest.match(/Quiet\d\d/g)?.length).toBe(5);
    expect(rest).toContain('Page 2 of 2');
    expect(rest).toContain('href="/ui/alerts?spage=1#suppressed"');
  });

  it('pages the silences, 20 a page, keeping the other lists where they were', async () => {
    const first = await html('admin', '/ui/alerts?page=1&spage=2');
    const silences = first.slice(first.indexOf('id="silences"'));
    expect(silences.match(/silence \d+/g)?.length).toBe(20);
    expect(silences).toMatch(/<nav class="paging" aria-label="Silences"/);
    expect(silences).toContain('href="/ui/alerts?spage=2&amp;xpage=2#silences"');
    const second = await html('admin', '/ui/alerts?xpage=2');
    expect(second.slice(second.indexOf('id="silences"')).match(/silence \d+/g)?.length).toBe(3);
  });

  it('filters the silences by state with labelled links, the page starting over', async () => {
    const list = (await api('GET', '/api/v2/silences', fx.as('admin'))).body as {
      id: string;
      comment: string;
    }[];
    const last = list.find((x) => x.comment === 'silence 22');
    expect((await api('DELETE', `/api/v2/silence/${last?.id}`, fx.as('admin'))).status).toBe(200);
    const page = await html('admin', '/ui/alerts?xpage=2');
    const silences = page.slice(page.indexOf('id="silences"'));
    expect(silences).toMatch(/<nav class="paging" aria-label="Silences: Status"/);
    expect(silences).toContain('href="/ui/alerts?xstate=expired#silences"');
    const onlyExpired = await html('admin', '/ui/alerts?xstate=expired');
    const shown = onlyExpired.slice(onlyExpired.indexOf('id="silences"')).match(/silence \d+/g);
    expect(shown).toEqual(['silence 22']);
    const active = await html('admin', '/ui/alerts?xstate=active');
    const rest = active.slice(active.indexOf('id="silences"'));
    expect(rest.match(/silence \d+/g)?.length).toBe(20);
    expect(rest).toContain('href="/ui/alerts?xpage=2&amp;xstate=active#silences"');
    expect(rest).not.toContain('silence 22');
  });

  it('refuses a page number that is not one with a 400 page', async () => {
    const res = await (await as('admin')).get('/ui/alerts?spage=zero');
    expect(res.status).toBe(400);
  });
});

describe('a refused price form focuses its first problem', () => {
  const fields = {
    currency: 'EUR',
    cpuPerCoreHour: '0.05',
    memoryPerGiBHour: '0.006',
    ingressPerGiB: '0.01',
    egressPerGiB: '0.09',
    pvcPerGiBHour: '0.0002',
  };
  const post = async (extra: Record<string, string>) => {
    const browser = await as('admin');
    const res = await browser.post('/ui/metering/prices', {
      _csrf: browser.csrf,
      ...fields,
      ...extra,
    });
    expect(res.status).toBe(400);
    return res.text();
  };
  const inputOf = (page: string, id: string) =>
    new RegExp(`<input[^>]*id="${id}"[^>]*>`).exec(page)?.[0] ?? '';

  it('puts autofocus and aria-invalid on the first field with a problem only', async () => {
    const page = await post({ memoryPerGiBHour: '-1', egressPerGiB: 'lots' });
    expect(inputOf(page, 'pr-memoryPerGiBHour')).toContain('autofocus');
    expect(inputOf(page, 'pr-memoryPerGiBHour')).toContain('aria-invalid="true"');
    expect(inputOf(page, 'pr-egressPerGiB')).toContain('aria-invalid="true"');
    expect(inputOf(page, 'pr-egressPerGiB')).not.toContain('autofocus');
    expect(inputOf(page, 'pr-currency')).not.toContain('autofocus');
    expect(page.match(/autofocus/g)?.length).toBe(1);
  });

  it('focuses the currency when that is the problem', async () => {
    const page = await post({ currency: '' });
    expect(inputOf(page, 'pr-currency')).toContain('autofocus');
    expect(page.match(/autofocus/g)?.length).toBe(1);
  });

  it("words the form's own refusals in the user's language, never a field name", async () => {
    const browser = await as('admin');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'zh', next: '/ui/metering' });
    const page = await post({ memoryPerGiBHour: 'lots', currency: 'euro', effectiveFrom: 'soon' });
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'en', next: '/ui/metering' });
    const note = /id="price-problem"[\s\S]*?<\/div>/.exec(page)?.[0] ?? '';
    expect(note).toContain('未保存，请修正：');
    for (const raw of [
      'memoryPerGiBHour',
      'currency',
      'effectiveFrom',
      'a number like',
      'like USD',
      'a date',
    ])
      expect(note).not.toContain(raw);
  });

  it("labels each price with its unit in the user's language", async () => {
    const browser = await as('admin');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'zh', next: '/ui/metering' });
    const page = await html('admin', '/ui/metering');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'en', next: '/ui/metering' });
    const form = page.slice(page.indexOf('action="/ui/metering/prices"'));
    expect(form).toContain('每 GiB·小时');
    expect(form).not.toMatch(/core-hour|GiB-hour/);
  });
});

describe('needs attention: a cluster with nodes not ready tells since when', () => {
  it('takes the age from its NodeNotReady / EdgeNodeOffline alerts, the oldest', async () => {
    const { needsAttention } = await import('../../functions/overview/attention');
    const cluster = {
      name: 'east',
      status: 'connected' as const,
      lastSeen: new Date().toISOString(),
      kubernetesVersion: 'v1.31.0',
      nodes: { total: 3, ready: 1, edge: 1 },
      firingAlerts: 2,
      health: 'critical' as const,
      problems: { critical: 0, warning: 2 },
    };
    const nodeAlert = (alertname: string, node: string, startsAt: number) => ({
      fingerprint: `${alertname}${node}`.padEnd(16, '0').slice(0, 16),
      labels: { alertname, cluster: 'east', node, severity: 'warning' },
      annotations: {},
      startsAt,
      endsAt: Date.now() + 3600_000,
      updatedAt: Date.now(),
      generatorURL: '',
      receivers: [],
      state: 'active' as const,
      silencedBy: [],
      inhibitedBy: [],
    });
    const oldest = Date.now() - 40 * 60_000;
    const items = needsAttention(
      [cluster],
      [
        nodeAlert('NodeNotReady', 'east-b', Date.now() - 10 * 60_000),
        nodeAlert('EdgeNodeOffline', 'kiosk-1', oldest),
        nodeAlert('NodeNotReady', 'other', Date.now() - 90 * 60_000),
      ].map((a, i) => (i === 2 ? { ...a, labels: { ...a.labels, cluster: 'west' } } : a)),
    );
    const line = items.find((i) => i.kind === 'nodes-not-ready');
    expect(line?.since).toBe(new Date(oldest).toISOString());
    expect(line?.labels).toMatchObject({ cluster: 'east', node: 'kiosk-1, east-b' });
  });
});

describe('growing lists on the cluster page and the overview stay a phone page', () => {
  it("pages a cluster's alerts, 20 a page, with labelled links", async () => {
    const first = await html('admin', '/ui/clusters/west');
    const alerts = first.slice(first.indexOf('id="alerts"'));
    expect(alerts.match(/<strong>Quiet\d\d<\/strong>/g)?.length).toBe(20);
    expect(alerts).toMatch(/<nav class="paging" aria-label="Alerts"/);
    expect(alerts).toContain('href="/ui/clusters/west?apage=2#alerts"');
    const second = await html('admin', '/ui/clusters/west?apage=2');
    const rest = second.slice(second.indexOf('id="alerts"'));
    expect(rest.match(/<strong>Quiet\d\d<\/strong>/g)?.length).toBe(5);
    expect(rest).toContain('Page 2 of 2');
  });

  it('shows the first 25 problems on the overview and links the rest', async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      labels: {
        alertname: `Many${String(i).padStart(2, '0')}`,
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'warning',
      },
      annotations: { summary: `many ${i}` },
      startsAt: new Date(Date.now() - (i + 1) * 60_000).toISOString(),
      endsAt: inAnHour(),
    }));
    expect((await api('POST', '/api/v2/alerts', fx.as('admin'), many)).status).toBe(200);
    const overview = (await api('GET', '/api/v1/overview', fx.as('admin'))).body as {
      attention: unknown[];
    };
    expect(overview.attention.length).toBeGreaterThan(25);
    const page = await html('admin', '/ui');
    const list = liveText(page, 'attention-list');
    expect(
      page.slice(page.indexOf('data-live="attention-list"')).match(/class="att /g)?.length,
    ).toBe(25);
    expect(list).toContain(`${overview.attention.length - 25} more`);
    expect(page).toMatch(/href="\/ui\/alerts"[^>]*>[^<]*more/);
    // The count in the heading is still every problem.
    expect(liveText(page, 'attention')).toBe(String(overview.attention.length));
  });
});

describe('a refused silence form returns to itself', () => {
  it("opens that alert's form with the problem by its label, the duration kept, the comment focused", async () => {
    const alerts = (
      await api('GET', '/api/v2/alerts?filter=alertname%3D%22EastLoud%22', fx.as('admin'))
    ).body as { fingerprint: string; labels: Record<string, string> }[];
    const loud = alerts.find((a) => a.labels.alertname === 'EastLoud');
    expect(loud).toBeDefined();
    const fp = loud?.fingerprint ?? '';
    const browser = await as('admin');
    const res = await browser.post('/ui/alerts/silence', {
      _csrf: browser.csrf,
      fingerprint: fp,
      cluster: 'east',
      duration: '4h',
      comment: '   ',
    });
    expect(res.status).toBe(400);
    const page = await res.text();
    const form = page.slice(page.indexOf('id="silence-problem"') - 400);
    expect(page).toContain('id="silence-problem"');
    expect(form).toMatch(/<details open="">/);
    expect(/id="silence-problem"[\s\S]*?<\/div>/.exec(page)?.[0]).toContain('Comment: required');
    expect(page).toMatch(/<option value="4h" selected="">/);
    expect(new RegExp(`<input[^>]*id="c-${fp}"[^>]*>`).exec(page)?.[0]).toContain('autofocus');
    expect(page.match(/autofocus/g)?.length).toBe(1);
  });

  it('a forged fingerprint is still a plain 400 page', async () => {
    const browser = await as('admin');
    const res = await browser.post('/ui/alerts/silence', {
      _csrf: browser.csrf,
      fingerprint: 'not-a-fingerprint',
      duration: '1h',
      comment: 'x',
    });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('id="silence-problem"');
  });
});

describe('the cluster forms word their refusals like the others', () => {
  const inZh = async <T>(run: (b: Browser) => Promise<T>) => {
    const browser = await as('admin');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'zh', next: '/ui' });
    try {
      return await run(browser);
    } finally {
      await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'en', next: '/ui' });
    }
  };
  const note = (page: string, form: string) =>
    new RegExp(`id="${form}-problem"[\\s\\S]*?</div>`).exec(page)?.[0] ?? '';

  it('register: a bad name by its label in the language, a taken one as a conflict, typed kept', async () => {
    const [bad, taken] = await inZh(async (b) => {
      const first = await b.post('/ui/clusters', {
        _csrf: b.csrf,
        name: 'Bad_Name',
        description: 'oops',
      });
      const second = await b.post('/ui/clusters', { _csrf: b.csrf, name: 'east' });
      return [
        { status: first.status, page: await first.text() },
        { status: second.status, page: await second.text() },
      ];
    });
    expect(bad.status).toBe(400);
    expect(note(bad.page, 'cluster')).toContain('未保存，请修正：');
    expect(note(bad.page, 'cluster')).toContain('名称');
    expect(bad.page).toMatch(/<input[^>]*id="name"[^>]*value="Bad_Name"[^>]*autofocus/);
    expect(bad.page).toMatch(/id="description"[^>]*value="oops"/);
    expect(taken.status).toBe(409);
    expect(note(taken.page, 'cluster')).toContain('与已有内容冲突');
  });

  it('edge join: each field by its label in the language, the first focused', async () => {
    const { status, page } = await inZh(async (b) => {
      const res = await b.post('/ui/clusters/east/edge-join', {
        _csrf: b.csrf,
        nodeName: '',
        nodeIp: '10.0.0.9',
      });
      return { status: res.status, page: await res.text() };
    });
    expect(status).toBe(400);
    expect(note(page, 'edge')).toContain('节点名称');
    expect(note(page, 'edge')).not.toContain('nodeName');
    expect(page).toMatch(/<input[^>]*id="nodeName"[^>]*autofocus/);
    expect(page).toMatch(/id="nodeIp"[^>]*value="10.0.0.9"/);
  });
});
