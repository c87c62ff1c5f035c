import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { apps } from '../../db/schema';
import { api, type Fixture, seedFixture } from './support/fixture';
import { browserSessions } from './support/ui-sessions';

let fx: Fixture;

const deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

const as = browserSessions();

async function page(persona: Parameters<Fixture['as']>[0], path: string) {
  const res = await (await as(persona)).get(path);
  return { status: res.status, html: await res.text() };
}

beforeAll(async () => {
  fx = await seedFixture();
  for (const name of ['web', 'shop']) {
    const res = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
      name,
      namespace: 'alpha-web',
      manifests: deployment,
      placement: { clusters: ['east'] },
    });
    expect(res.status).toBe(201);
  }
  // A staged rollout that stopped at east.
  const db = createDb(env.DB);
  const shop = await db.select().from(apps).where(eq(apps.name, 'shop')).get();
  await db
    .update(apps)
    .set({
      halted: { generation: shop!.generation, cluster: 'east', message: 'web not ready in 300s' },
    })
    .where(eq(apps.id, shop!.id));
});

describe('apps pages', () => {
  it('the workspace page links to its apps', async () => {
    const { html } = await page('alpha-admin', '/ui/workspaces/alpha');
    expect(html).toContain('href="/ui/workspaces/alpha/apps"');
  });

  it("lists each app's phase and per-cluster state; Halted names the failing cluster and why", async () => {
    const { status, html } = await page('alpha-viewer', '/ui/workspaces/alpha/apps');
    expect(status).toBe(200);
    expect(html).toContain('href="/ui/workspaces/alpha/apps/web"');
    expect(html).toContain('Halted');
    expect(html).toContain('Rollout halted at cluster east:');
    expect(html).toContain('web not ready in 300s');
    expect(html).toMatch(/<span>east<\/span>/);
    // No table: nothing on this page needs sideways scrolling on a phone.
    expect(html).not.toContain('<table');
    expect(new TextEncoder().encode(html).length).toBeLessThan(10 * 1024);
  });

  it('an admin sees the delete control and can delete after confirming (post/redirect/get)', async () => {
    const detail = await page('alpha-admin', '/ui/workspaces/alpha/apps/web');
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('href="/ui/workspaces/alpha/apps/web/delete"');
    const confirm = await page('alpha-admin', '/ui/workspaces/alpha/apps/web/delete');
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain('action="/ui/workspaces/alpha/apps/web/delete"');
    const browser = await as('alpha-admin');
    const done = await browser.post('/ui/workspaces/alpha/apps/web/delete', {
      _csrf: browser.csrf,
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/ui/workspaces/alpha/apps?notice=deleted');
    const after = await api('GET', '/api/v1/workspaces/alpha/apps/web', fx.as('alpha-admin'));
    expect([200, 404]).toContain(after.status);
    if (after.status === 200)
      expect((after.body as { status: { phase: string } }).status.phase).toBe('Deleting');
  });

  it('a viewer sees phases but no controls', async () => {
    const { status, html } = await page('alpha-viewer', '/ui/workspaces/alpha/apps/shop');
    expect(status).toBe(200);
    expect(html).toContain('Halted');
    expect(html).not.toContain('/delete');
    const refused = await (await as('alpha-viewer')).post('/ui/workspaces/alpha/apps/shop/delete', {
      _csrf: (await as('alpha-viewer')).csrf,
    });
    expect(refused.status).toBe(403);
  });

  it('shows the page in 简体中文', async () => {
    const { html } = await page('alpha-viewer', '/ui/workspaces/alpha/apps?lang=zh');
    const zh = await (await as('alpha-viewer')).get('/ui/workspaces/alpha/apps', {
      'accept-language': 'zh-CN',
    });
    const text = await zh.text();
    expect(html.length).toBeGreaterThan(0);
    expect(text).toContain('已暂停');
    expect(text).toContain('发布已在集群 east 暂停');
  });

  it("another tenant's member gets 404 for the apps page", async () => {
    const { status } = await page('beta-viewer', '/ui/workspaces/alpha/apps');
    expect(status).toBe(404);
  });

  it('an admin creates an app from the form (post/redirect/get); a viewer gets no form link', async () => {
    const list = await page('alpha-admin', '/ui/workspaces/alpha/apps');
    expect(list.html).toContain('href="/ui/workspaces/alpha/apps/-/new"');
    const form = await page('alpha-admin', '/ui/workspaces/alpha/apps/-/new');
    expect(form.status).toBe(200);
    expect(form.html).toContain('name="clusters" value="east"');
    const browser = await as('alpha-admin');
    const res = await browser.post('/ui/workspaces/alpha/apps', {
      _csrf: browser.csrf,
      name: 'blog',
      namespace: 'alpha-web',
      manifests: deployment,
      clusters: 'east',
      nodes: 'any',
      maxUnavailableClusters: '1',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/workspaces/alpha/apps/blog');
    const made = await api('GET', '/api/v1/workspaces/alpha/apps/blog', fx.as('alpha-admin'));
    expect(made.body).toMatchObject({
      placement: { clusters: ['east'] },
      rollout: { maxUnavailableClusters: 1 },
    });
    const viewer = await page('alpha-viewer', '/ui/workspaces/alpha/apps');
    expect(viewer.html).not.toContain('/apps/-/new');
  });

  it('a refused form in 简体中文 lists the problem by its label and keeps the YAML', async () => {
    const browser = await as('alpha-admin');
    const yaml = `${deployment}# kept-marker\n`;
    const res = await browser.post(
      '/ui/workspaces/alpha/apps',
      {
        _csrf: browser.csrf,
        name: 'Not_A_Name',
        namespace: 'alpha-web',
        manifests: yaml,
        clusters: 'east',
        nodes: 'any',
      },
      { 'accept-language': 'zh-CN' },
    );
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('请修正');
    expect(html).toMatch(/<li>名称: /);
    expect(html).toContain('# kept-marker');
    expect(html).toMatch(/name="clusters" value="east" checked/);
  });
});
