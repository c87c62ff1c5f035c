import { beforeAll, describe, expect, it } from 'vitest';
import { i18nFor } from '../../functions/ui/i18n';
import type { InventorySnapshot } from '../../protocol/inventory';
import { connectAgent } from './support/agent-socket';
import { api, type Fixture, type Persona, seedFixture } from './support/fixture';
import { browserSessions } from './support/ui-sessions';

let fx: Fixture;

const as = browserSessions();

async function html(persona: Persona, path: string) {
  const res = await (await as(persona)).get(path);
  return { status: res.status, text: await res.text() };
}

const inventory: InventorySnapshot = {
  type: 'snapshot',
  seq: 1,
  cluster: { kubernetesVersion: 'v1.31.0', platform: 'linux/arm64' },
  nodes: [
    {
      name: 'east-1',
      ready: true,
      edge: false,
      roles: ['worker'],
      kubeletVersion: 'v1.31.0',
      capacity: { cpu: '4' },
      allocatable: { cpu: '4' },
      addresses: [],
      unschedulable: false,
    },
  ],
  namespaces: [],
  events: [],
};

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  const agent = await connectAgent((rotated.body as { joinToken: string }).joinToken, 'east-t');
  await agent.send({ type: 'inventory', update: inventory });
  await agent.nextOf('ack');
  const inAnHour = new Date(Date.now() + 3600_000).toISOString();
  await api('POST', '/api/v2/alerts', fx.as('admin'), [
    {
      labels: {
        alertname: 'AlphaDown',
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'critical',
      },
      annotations: { summary: 'alpha is down', runbook_url: 'https://runbooks.example.com/a' },
      startsAt: new Date(Date.now() - 12 * 60_000).toISOString(),
      endsAt: inAnHour,
    },
  ]);
  const channel = await api('POST', '/api/v1/notification/channels', fx.as('alpha-admin'), {
    name: 'alpha-hook',
    type: 'webhook',
    config: { url: 'https://hooks.example.com/alpha' },
    workspace: 'alpha',
  });
  expect(channel.status).toBe(201);
});

describe('triage on the overview', () => {
  it('opens with needs attention: severity, age, key labels, summary and the runbook link', async () => {
    const { text } = await html('admin', '/ui');
    const attention = text.indexOf('id="attention"');
    expect(attention).toBeGreaterThan(0);
    expect(attention).toBeLessThan(text.indexOf('aria-label="Summary"'));
    expect(text).toContain(
      '<strong>AlphaDown</strong><span class="badge sev-critical">Critical</span>',
    );
    expect(text).toContain('12 minutes ago');
    expect(text).toContain('namespace <b>alpha-web</b>');
    expect(text).toContain('alpha is down');
    expect(text).toContain('href="https://runbooks.example.com/a" rel="noopener noreferrer"');
    expect(text).toContain('data-live-cluster="east">Critical');
    expect(text).toContain('id="live-news" class="sr-only" aria-live="polite"');
  });

  it('words ages and plurals in the language', async () => {
    const browser = await as('alpha-viewer');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'zh', next: '/ui' });
    const { text } = await html('alpha-viewer', '/ui');
    expect(text).toContain('需要处理');
    expect(text).toContain('12分钟前');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'en', next: '/ui' });
    const en = i18nFor('en');
    expect(en.t('overview.edgeNodes', { count: 1 })).toBe('1 edge node');
    expect(en.t('overview.edgeNodes', { count: 2 })).toBe('2 edge nodes');
    expect(i18nFor('es').t('members.count', { count: 1 })).toBe('1 miembro');
    expect(i18nFor('zh').t('members.count', { count: 3 })).toBe('3 名成员');
    // Unit prices at full precision; totals rounded for the currency.
    expect(en.price(0.045, 'USD')).toBe('$0.045');
    expect(en.money(0.045, 'USD')).toBe('$0.05');
  });
});

describe('role-aware controls', () => {
  it('shows a workspace viewer no control they cannot use', async () => {
    const alerts = (await html('alpha-viewer', '/ui/alerts')).text;
    expect(alerts).toContain('AlphaDown');
    expect(alerts).toContain('alpha-hook');
    for (const hidden of [
      'action="/ui/alerts/silence"',
      'action="/ui/alerts/channels"',
      'action="/ui/alerts/receivers"',
      'action="/ui/alerts/channels/test"',
      '/ui/alerts/channels/delete',
      'New channel',
      'New receiver',
    ])
      expect(alerts).not.toContain(hidden);
    const cluster = (await html('alpha-viewer', '/ui/clusters/east')).text;
    for (const hidden of ['/rotate', '/delete', '/edge-join', 'action="/ui/alerts/silence"'])
      expect(cluster).not.toContain(hidden);
    const ws = (await html('alpha-viewer', '/ui/workspaces/alpha')).text;
    expect(ws).not.toContain('action="/ui/workspaces/alpha/members"');
    expect(ws).not.toContain('/remove');
    // The workspace admin gets them.
    const admin = (await html('alpha-admin', '/ui/alerts')).text;
    expect(admin).toContain('action="/ui/alerts/silence"');
    expect(admin).toContain('/ui/alerts/channels/delete?id=');
  });

  it('error pages keep the navigation and sign-out, worded in the language', async () => {
    const { status, text } = await html('alpha-viewer', '/ui/clusters/nowhere');
    expect(status).toBe(404);
    expect(text).toContain('action="/ui/sign-out"');
    expect(text).toContain('<nav aria-label="Main">');
    expect(text).toContain('Not found, or not visible to you.');
  });
});

describe('confirmation and reload safety', () => {
  it('rotating asks first; the token shows once, a reload never rotates again', async () => {
    const admin = await as('admin');
    const confirm = await html('admin', '/ui/clusters/east/rotate');
    expect(confirm.text).toContain('Rotate the join token of east?');
    expect(confirm.text).toContain('action="/ui/clusters/east/join-token"');
    const before = (await api('GET', '/api/v1/clusters/east', fx.as('admin'))).body as {
      joinTokenRotatedAt: string;
    };
    // Viewing the confirmation changes nothing.
    const after = (await api('GET', '/api/v1/clusters/east', fx.as('admin'))).body as {
      joinTokenRotatedAt: string;
    };
    expect(after.joinTokenRotatedAt).toBe(before.joinTokenRotatedAt);
    const posted = await admin.post('/ui/clusters/east/join-token', { _csrf: admin.csrf });
    expect(posted.status).toBe(303);
    const shown = await admin.get(posted.headers.get('location')!);
    const page = await shown.text();
    const token = /<pre id="token" class="wrap" tabindex="0">([^<]+)<\/pre>/.exec(page)?.[1];
    expect(token).toMatch(/^etj_/);
    expect(page.indexOf('id="token"')).toBeLessThan(page.indexOf('id="manifest"'));
    expect(page).toContain('<pre id="manifest" class="yaml" tabindex="0"># edgetower agent');
    expect(page).toContain('data-copy="command"');
    const rotatedAt = (
      (await api('GET', '/api/v1/clusters/east', fx.as('admin'))).body as {
        joinTokenRotatedAt: string;
      }
    ).joinTokenRotatedAt;
    const reload = await (await admin.get(posted.headers.get('location')!)).text();
    expect(reload).not.toContain(token);
    const still = (await api('GET', '/api/v1/clusters/east', fx.as('admin'))).body as {
      joinTokenRotatedAt: string;
    };
    expect(still.joinTokenRotatedAt).toBe(rotatedAt);
  });

  it("links each node of a cluster's page to the node's own page", async () => {
    const page = await html('admin', '/ui/clusters/east');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<a href="/ui/clusters/east/nodes/east-1">east-1</a>');
  });

  it('deletes a cluster after a confirmation page', async () => {
    const admin = await as('admin');
    const made = await api('POST', '/api/v1/clusters', fx.as('admin'), { name: 'oops' });
    expect(made.status).toBe(201);
    const pending = (await html('admin', '/ui/clusters/oops')).text;
    expect(pending).toContain('Next steps');
    expect(pending).not.toContain('id="namespaces"');
    const confirm = await html('admin', '/ui/clusters/oops/delete');
    expect(confirm.text).toContain('Delete cluster oops?');
    const res = await admin.post('/ui/clusters/oops/delete', { _csrf: admin.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/clusters?notice=deleted&name=oops');
    expect((await api('GET', '/api/v1/clusters/oops', fx.as('admin'))).status).toBe(404);
    const viewer = await as('east-viewer');
    expect((await viewer.post('/ui/clusters/east/delete', { _csrf: viewer.csrf })).status).toBe(
      403,
    );
  });
});

describe('workspace members from the phone', () => {
  it('adds, changes the role of and removes a member; a refusal keeps what was typed', async () => {
    const admin = await as('alpha-admin');
    const add = await admin.post('/ui/workspaces/alpha/members', {
      _csrf: admin.csrf,
      user: 'regular',
      role: 'workspace-viewer',
    });
    expect(add.status).toBe(303);
    expect(await (await admin.get(add.headers.get('location')!)).text()).toContain(
      'Added regular.',
    );
    const change = await admin.post('/ui/workspaces/alpha/members/regular/role', {
      _csrf: admin.csrf,
      role: 'workspace-regular',
    });
    expect(change.status).toBe(303);
    const members = (await api('GET', '/api/v1/workspaces/alpha/members', fx.as('admin'))).body as {
      items: { user: string; role: string }[];
    };
    expect(members.items.find((m) => m.user === 'regular')?.role).toBe('workspace-regular');
    expect(
      (await html('alpha-admin', '/ui/workspaces/alpha/members/regular/remove')).text,
    ).toContain('Remove regular from alpha?');
    const remove = await admin.post('/ui/workspaces/alpha/members/regular/remove', {
      _csrf: admin.csrf,
    });
    expect(remove.status).toBe(303);
    const refused = await admin.post('/ui/workspaces/alpha/members', {
      _csrf: admin.csrf,
      user: 'no-such-user',
      role: 'workspace-viewer',
    });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    const text = await refused.text();
    expect(text).toContain('role="alert"');
    expect(text).toContain('value="no-such-user"');
    const viewer = await as('alpha-viewer');
    const denied = await viewer.post('/ui/workspaces/alpha/members', {
      _csrf: viewer.csrf,
      user: 'regular',
      role: 'workspace-admin',
    });
    expect(denied.status).toBe(403);
  });
});

describe('refused forms speak the user’s language', () => {
  it('lists each problem by its visible label in 简体中文, keeps typed values, never the URL', async () => {
    const browser = await as('alpha-admin');
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'zh', next: '/ui/alerts' });
    const res = await browser.post('/ui/alerts/channels', {
      _csrf: browser.csrf,
      name: 'zh-hook',
      type: 'webhook',
      url: 'https://secret.example.com/hook',
      config: '{not json',
    });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('未保存，请修正：');
    expect(text).toContain('更多设置');
    expect(text).toContain('必须是 JSON 对象');
    expect(text).not.toContain('(body)');
    expect(text).not.toContain('config:');
    expect(text).toContain('value="zh-hook"');
    expect(text).not.toContain('secret.example.com');
    expect(text).toMatch(
      /<textarea id="ch-config" name="config" rows="3" maxlength="16384" autofocus="">/,
    );
    await browser.post('/ui/lang', { _csrf: browser.csrf, lang: 'en', next: '/ui' });
  });
});
