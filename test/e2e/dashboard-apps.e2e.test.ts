/**
 * The Apps pages in Chromium at 390×844 against `wrangler dev` and a real
 * agent on the Kubernetes API emulator (test/support/browser-fleet.ts):
 * the list with phases and per-cluster states, creating through the form,
 * editing through the edit form (generation 2), a halted rollout said
 * plainly, a viewer without controls, deletion after a confirmation, and an
 * app named `new`. Screenshots go to test-artifacts/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser';
import { type BrowserFleet, FLEET_ADMIN, startBrowserFleet } from '../support/browser-fleet';

let fleet: BrowserFleet;
let browser: Browser;
const contexts: BrowserContext[] = [];
const problems: string[] = [];
const WS = 'ws-0';
const NS = 'ns-0002';
const apps = () => `${fleet.edge.url}/ui/workspaces/${WS}/apps`;

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

interface AppStatus {
  generation: number;
  status: { phase: string; clusters: { cluster: string; state: string }[] };
}

async function phone(): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 4(00|03|04)/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return page;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${fleet.edge.url}/ui`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${fleet.edge.url}/ui`);
}

async function appNow(name: string): Promise<AppStatus | undefined> {
  const res = await fleet.api(`/api/v1/workspaces/${WS}/apps/${name}`);
  return res.ok ? ((await res.json()) as AppStatus) : undefined;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, ms = 60_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const phaseIs = (name: string, phase: string, generation?: number) =>
  until(async () => {
    const app = await appNow(name);
    return app?.status.phase === phase &&
      (generation === undefined || app.generation === generation)
      ? app
      : undefined;
  }, `${name} ${phase}`);

/** The page is no wider than the phone: nothing scrolls sideways. */
const scrollWidth = (page: Page) => page.evaluate<number>('document.documentElement.scrollWidth');

describe('Apps pages in Chromium', () => {
  beforeAll(async () => {
    [fleet, browser] = await Promise.all([startBrowserFleet(), launchChromium()]);
    // The editor (admin) may do anything in the cluster, as a cluster admin's binding would allow.
    fleet.kube.store.create('clusterrolebindings', {
      metadata: { name: 'e2e-admin' },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: 'cluster-admin',
      },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'admin' }],
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await fleet?.close();
  });

  let admin: Page;

  it('creates an app through the form; the list shows its phase and per-cluster state', async () => {
    admin = await phone();
    await signIn(admin, FLEET_ADMIN.username, FLEET_ADMIN.password);
    await admin.goto(apps());
    await admin.getByRole('link', { name: 'New app' }).click();
    await admin.waitForURL(`${apps()}/-/new`);
    await admin.getByLabel('Name', { exact: true }).fill('shop');
    await admin.getByLabel('Namespace').fill(NS);
    await admin.getByLabel('Manifests (YAML)').fill(deployment('nginx:1.27'));
    await admin.getByRole('checkbox', { name: fleet.connected }).check();
    await admin.screenshot({ path: artifact('apps-create-390.png'), fullPage: true });
    await admin.getByRole('button', { name: 'Create app' }).click();
    await admin.waitForURL(`${apps()}/shop`);
    await phaseIs('shop', 'Ready', 1);

    await admin.goto(apps());
    const card = admin.getByRole('region', { name: 'shop' });
    expect(await card.getByText('Ready').first().isVisible()).toBe(true);
    expect(await card.getByText(fleet.connected).isVisible()).toBe(true);
    expect(await card.getByText('ready', { exact: true }).isVisible()).toBe(true);
    expect(await scrollWidth(admin)).toBeLessThanOrEqual(390);
    await admin.screenshot({ path: artifact('apps-list-390.png'), fullPage: true });
  });

  it('edits the app through the edit form: generation 2 reaches the cluster', async () => {
    await admin.goto(`${apps()}/shop`);
    await admin.getByRole('link', { name: 'Edit app' }).click();
    await admin.waitForURL(`${apps()}/shop/edit`);
    const yaml = admin.getByLabel('Manifests (YAML)');
    expect(await yaml.inputValue()).toContain('image: nginx:1.27');
    expect(await admin.getByRole('checkbox', { name: fleet.connected }).isChecked()).toBe(true);
    await yaml.fill((await yaml.inputValue()).replace('nginx:1.27', 'nginx:1.28'));
    await admin.screenshot({ path: artifact('apps-edit-390.png'), fullPage: true });
    await admin.getByRole('button', { name: 'Save changes' }).click();
    await admin.waitForURL(`${apps()}/shop`);
    expect(await admin.locator('main').textContent()).toMatch(/generation\s*2/);
    await phaseIs('shop', 'Ready', 2);
    const live = fleet.kube.store.get('deployments', NS, 'web') as unknown as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(live.spec.template.spec.containers[0]?.image).toBe('nginx:1.28');
  });

  it('a refused edit comes back to the form with the problem and what was typed', async () => {
    await admin.goto(`${apps()}/shop/edit`);
    await admin.getByLabel('Manifests (YAML)').fill('kind: [broken\n# kept-marker');
    await admin.getByRole('button', { name: 'Save changes' }).click();
    expect(await admin.getByRole('alert').isVisible()).toBe(true);
    expect(await admin.getByLabel('Manifests (YAML)').inputValue()).toContain('# kept-marker');
    expect((await appNow('shop'))?.generation).toBe(2);
  });

  it('shows a halted rollout plainly: which cluster and why', async () => {
    const res = await fleet.api(`/api/v1/workspaces/${WS}/apps`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'roll',
        namespace: NS,
        manifests: deployment('registry.example/broken:1').replaceAll('web', 'roll'),
        placement: { clusters: [fleet.connected] },
        rollout: { maxUnavailableClusters: 1, progressDeadlineSeconds: 60 },
      }),
    });
    expect(res.status).toBe(201);
    await phaseIs('roll', 'Halted');
    await admin.goto(apps());
    const card = admin.getByRole('region', { name: 'roll' });
    expect(await card.getByText('Halted').first().isVisible()).toBe(true);
    expect(await card.getByText(`Rollout halted at cluster ${fleet.connected}:`).isVisible()).toBe(
      true,
    );
    expect(await scrollWidth(admin)).toBeLessThanOrEqual(390);
    await admin.screenshot({ path: artifact('apps-halted-390.png'), fullPage: true });
  });

  it('opens an app named `new` (the create form lives elsewhere)', async () => {
    const res = await fleet.api(`/api/v1/workspaces/${WS}/apps`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'new',
        namespace: NS,
        manifests: deployment('nginx:1.27').replaceAll('web', 'newweb'),
        placement: { clusters: [fleet.connected] },
      }),
    });
    expect(res.status).toBe(201);
    await admin.goto(`${apps()}/new`);
    expect(await admin.getByRole('heading', { level: 2, name: 'new' }).isVisible()).toBe(true);
  });

  it('a viewer sees the apps but no edit or delete control', async () => {
    const viewer = await phone();
    await signIn(viewer, fleet.viewer.username, fleet.viewer.password);
    await viewer.goto(`${apps()}/shop`);
    expect(await viewer.getByText('Ready').first().isVisible()).toBe(true);
    expect(await viewer.getByRole('link', { name: 'Edit app' }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: /Delete app/ }).count()).toBe(0);
    expect(await viewer.getByRole('link', { name: 'New app' }).count()).toBe(0);
    await viewer.screenshot({ path: artifact('apps-viewer-390.png'), fullPage: true });
    const edit = await viewer.goto(`${apps()}/shop/edit`);
    expect(edit?.status()).toBe(403);
  });

  it('deletes only after a confirmation (post/redirect/get)', async () => {
    await admin.goto(`${apps()}/shop`);
    await admin.getByRole('link', { name: /Delete app/ }).click();
    await admin.waitForURL(`${apps()}/shop/delete`);
    expect(await admin.getByText(`Delete app shop from workspace ${WS}`).isVisible()).toBe(true);
    // Nothing happened yet: the link only asked.
    expect((await appNow('shop'))?.status.phase).toBe('Ready');
    await admin.screenshot({ path: artifact('apps-delete-confirm-390.png'), fullPage: true });
    await admin.getByRole('button', { name: 'Delete app' }).click();
    await admin.waitForURL(`${apps()}?notice=deleted`);
    expect(await admin.getByText('App deleted.').isVisible()).toBe(true);
    await until(async () => ((await appNow('shop')) === undefined ? true : undefined), 'shop gone');
    expect(problems, problems.join('\n')).toEqual([]);
  });
});
