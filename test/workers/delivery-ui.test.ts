import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, seedFixture } from './support/fixture';
import { browserSessions } from './support/ui-sessions';

/** The Apps pages' edit form and routing (an app may be called `new`). */
let fx: Fixture;

const deployment = (image: string) => `apiVersion: apps/v1
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
          image: ${image}
`;
const secret = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: hunter2-very-secret
`;

const as = browserSessions();
const page = async (persona: Parameters<Fixture['as']>[0], path: string) => {
  const res = await (await as(persona)).get(path);
  return { status: res.status, html: await res.text() };
};
const appApi = (name: string) => `/api/v1/workspaces/alpha/apps/${name}`;

beforeAll(async () => {
  fx = await seedFixture();
  for (const name of ['new', 'edited']) {
    const res = await api('POST', '/api/v1/workspaces/alpha/apps', fx.as('alpha-admin'), {
      name,
      namespace: 'alpha-web',
      manifests: `${deployment('nginx:1.27')}---\n${secret}`,
      placement: { clusters: ['east'] },
      rollout: { maxUnavailableClusters: 1, progressDeadlineSeconds: 120 },
      deleteTimeoutSeconds: 3600,
    });
    expect(res.status).toBe(201);
  }
});

describe('apps pages: routing and editing', () => {
  it('an app named `new` opens like any other; the create form lives at /apps/-/new', async () => {
    const detail = await page('alpha-admin', '/ui/workspaces/alpha/apps/new');
    expect(detail.status).toBe(200);
    expect(detail.html).toContain('<h2 id="app">new</h2>');
    expect(detail.html).toContain('href="/ui/workspaces/alpha/apps/new/edit"');
    const form = await page('alpha-admin', '/ui/workspaces/alpha/apps/-/new');
    expect(form.status).toBe(200);
    expect(form.html).toContain('action="/ui/workspaces/alpha/apps"');
    expect((await page('alpha-admin', '/ui/workspaces/alpha/apps/new/edit')).status).toBe(200);
  });

  it('the edit form is prefilled (YAML with Secret values redacted, ticks, rollout)', async () => {
    const { status, html } = await page('alpha-admin', '/ui/workspaces/alpha/apps/edited/edit');
    expect(status).toBe(200);
    expect(html).toContain('action="/ui/workspaces/alpha/apps/edited/edit"');
    expect(html).toContain('image: nginx:1.27');
    expect(html).toContain('password: &lt;redacted&gt;');
    expect(html).not.toContain('hunter2');
    expect(html).toMatch(/name="clusters" value="east" checked/);
    expect(html).toMatch(/name="maxUnavailableClusters"[^>]*value="1"/);
    expect(html).toContain('name="generation" value="1"');
  });

  it('saving makes generation 2 and keeps the Secret, the overrides and the deadline (PRG)', async () => {
    const browser = await as('alpha-admin');
    const res = await browser.post('/ui/workspaces/alpha/apps/edited/edit', {
      _csrf: browser.csrf,
      generation: '1',
      namespace: 'alpha-web',
      manifests: `${deployment('nginx:1.28')}---\n${secret.replace('hunter2-very-secret', '<redacted>')}`,
      clusters: 'east',
      nodes: 'edge',
      maxUnavailableClusters: '1',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/workspaces/alpha/apps/edited');
    const after = await api('GET', appApi('edited'), fx.as('alpha-admin'));
    expect(after.body).toMatchObject({
      generation: 2,
      nodes: 'edge',
      rollout: { maxUnavailableClusters: 1, progressDeadlineSeconds: 120 },
      deleteTimeoutSeconds: 3600,
    });
  });

  it('a refused edit returns to the form in the user’s language with what was typed', async () => {
    const browser = await as('alpha-admin');
    const res = await browser.post(
      '/ui/workspaces/alpha/apps/edited/edit',
      {
        _csrf: browser.csrf,
        generation: '2',
        namespace: 'alpha-web',
        manifests: 'kind: [broken\n# kept-marker',
        clusters: 'east',
        nodes: 'any',
      },
      { 'accept-language': 'zh-CN' },
    );
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('请修正');
    expect(html).toContain('# kept-marker');
    expect(html).toContain('action="/ui/workspaces/alpha/apps/edited/edit"');
    const stale = await browser.post('/ui/workspaces/alpha/apps/edited/edit', {
      _csrf: browser.csrf,
      generation: '1',
      namespace: 'alpha-web',
      manifests: deployment('nginx:9'),
      clusters: 'east',
      nodes: 'any',
    });
    expect(stale.status).toBe(409);
    expect((await api('GET', appApi('edited'), fx.as('alpha-admin'))).body).toMatchObject({
      generation: 2,
    });
  });

  it('a viewer sees no edit control and cannot open or post the form; another tenant gets 404', async () => {
    const detail = await page('alpha-viewer', '/ui/workspaces/alpha/apps/edited');
    expect(detail.status).toBe(200);
    expect(detail.html).not.toContain('/edit"');
    expect((await page('alpha-viewer', '/ui/workspaces/alpha/apps/edited/edit')).status).toBe(403);
    const viewer = await as('alpha-viewer');
    const post = await viewer.post('/ui/workspaces/alpha/apps/edited/edit', {
      _csrf: viewer.csrf,
      namespace: 'alpha-web',
      manifests: deployment('evil:1'),
      clusters: 'east',
    });
    expect(post.status).toBe(403);
    expect((await page('beta-viewer', '/ui/workspaces/alpha/apps/edited/edit')).status).toBe(404);
    expect((await api('GET', appApi('edited'), fx.as('alpha-admin'))).body).toMatchObject({
      generation: 2,
    });
  });
});
