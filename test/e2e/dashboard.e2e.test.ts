import { readFile } from 'node:fs/promises';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { artifact, launchChromium } from '../support/browser';
import { type BrowserFleet, FLEET_ADMIN, startBrowserFleet } from '../support/browser-fleet';
import { oidcClient, startOidcProvider } from '../support/oidc-provider';

let fleet: BrowserFleet;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Every CSP violation or page error any page reported: the suite expects none. */
const problems: string[] = [];

async function phone(width = 390, height = 844): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width, height },
    isMobile: true,
    hasTouch: true,
    locale: 'en-US',
  });
  contexts.push(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    // 404 pages the tenant test opens on purpose log "Failed to load resource"; CSP refusals do not.
    if (m.type() === 'error' && !m.text().includes('status of 404')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return page;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto(`${fleet.edge.url}/ui`);
  expect(new URL(page.url()).pathname).toBe('/ui/sign-in');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${fleet.edge.url}/ui`);
}

const noHorizontalScroll = (page: Page) =>
  page.evaluate<number>('document.documentElement.scrollWidth');

describe('dashboard in Chromium', () => {
  beforeAll(async () => {
    [fleet, browser] = await Promise.all([startBrowserFleet(), launchChromium()]);
  }, 180_000);

  afterAll(async () => {
    await Promise.all(contexts.map((c) => c.close()));
    await browser?.close();
    await fleet?.close();
  });

  let admin: Page;

  it('signs in and shows the overview at 390×844 from one round trip', async () => {
    admin = await phone();
    const apiCalls: string[] = [];
    admin.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/api/')) apiCalls.push(r.url());
    });
    await signIn(admin, FLEET_ADMIN.username, FLEET_ADMIN.password);
    await expect(admin.getByRole('heading', { level: 1, name: 'Overview' }).count()).resolves.toBe(
      1,
    );
    const east = admin.getByRole('listitem').filter({ hasText: fleet.connected });
    await expect(east.getByText('Connected').count()).resolves.toBe(1);
    const west = admin.getByRole('listitem').filter({ hasText: fleet.pending });
    await expect(west.getByText('Waiting for agent').count()).resolves.toBe(1);
    // The four seeded alerts, plus whatever the edge's own rules fired meanwhile (as the API says).
    const listed = (await (await fleet.api('/api/v2/alerts')).json()) as {
      labels: Record<string, string>;
      status: { state: string };
    }[];
    const active = listed.filter((a) => a.status.state === 'active');
    expect(active.length).toBeGreaterThanOrEqual(4);
    expect(await admin.locator('[data-live-firing="total"]').textContent()).toBe(
      String(active.length),
    );
    const critical = active.filter((a) => a.labels.severity === 'critical').length;
    expect(await admin.locator('[data-live-firing="critical"]').textContent()).toBe(
      String(critical),
    );
    expect(await admin.getByText('3 of 4 ready').count()).toBeGreaterThan(0);
    // Prices start at the next whole hour: this month's spend so far is zero, in dollars.
    expect(await admin.locator('main').textContent()).toContain('$0.00');
    // The page is server-rendered: the browser itself asks the API nothing.
    expect(apiCalls).toEqual([]);
    await admin.screenshot({ path: artifact('dashboard-overview-390.png'), fullPage: true });
  });

  it('keeps touch targets at least 44 px and every form control labelled', async () => {
    // Evaluated in the page (strings: this file is type-checked without the DOM library).
    const small = await admin.evaluate<{ el: string; h: number }[]>(`
      [...document.querySelectorAll('button, nav a, select, input:not([type=hidden]), .row > a')]
        .map((el) => ({ el: el.outerHTML.slice(0, 80), h: el.getBoundingClientRect().height }))
        .filter((x) => x.h < 44)`);
    expect(small).toEqual([]);
    const unlabelled = await admin.evaluate<string[]>(`
      [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter((el) => !el.labels || el.labels.length === 0)
        .map((el) => el.outerHTML.slice(0, 80))`);
    expect(unlabelled).toEqual([]);
    expect(await admin.locator('header, nav, main, footer').count()).toBe(4);
  });

  it('opens a cluster: nodes, edge nodes, namespaces, warnings, alerts', async () => {
    await admin.getByRole('link', { name: fleet.connected }).first().click();
    await admin.waitForURL(`**/ui/clusters/${fleet.connected}`);
    const edgeNodes = (await (
      await fleet.api(`/api/v1/clusters/${fleet.connected}/edge-nodes`)
    ).json()) as {
      items: { name: string }[];
    };
    const edgeSection = admin.locator('section', { has: admin.locator('#edge-nodes') });
    expect(await edgeSection.textContent()).toContain(edgeNodes.items[0]!.name);
    const namespaces = await admin
      .locator('section', { has: admin.locator('#namespaces') })
      .textContent();
    expect(namespaces).toContain('ns-0002');
    expect(namespaces).toContain('ns-0003');
    expect(
      await admin
        .locator('section', { has: admin.locator('#events') })
        .locator('li')
        .count(),
    ).toBeGreaterThan(0);
    expect(await admin.getByText('NodePressure', { exact: true }).count()).toBe(1);
    await admin.screenshot({ path: artifact('dashboard-cluster-390.png'), fullPage: true });
  });

  it('silences an alert from the alert, for the chosen duration', async () => {
    await admin.getByRole('link', { name: 'Alerts' }).click();
    await admin.waitForURL('**/ui/alerts');
    const item = admin.locator('#firing ~ ul > li').filter({ hasText: 'NodePressure' });
    await item.getByText('Silence', { exact: true }).click();
    await item.getByLabel('For').selectOption('4h');
    await item.getByLabel('Comment').fill('draining the node');
    await item.getByRole('button', { name: 'Silence this alert' }).click();
    await admin.waitForURL('**/ui/alerts?notice=silenced*');
    expect(await admin.getByRole('status').textContent()).toContain('Silenced until');
    const silenced = await admin
      .locator('section', { has: admin.locator('#suppressed') })
      .textContent();
    expect(silenced).toContain('NodePressure');
    const firing = await admin.locator('section', { has: admin.locator('#firing') }).textContent();
    expect(firing).not.toContain('NodePressure');
    const silences = (await (await fleet.api('/api/v2/silences')).json()) as {
      comment: string;
      createdBy: string;
      startsAt: string;
      endsAt: string;
    }[];
    const made = silences.find((s) => s.comment === 'draining the node')!;
    expect(made.createdBy).toBe('admin');
    expect((Date.parse(made.endsAt) - Date.parse(made.startsAt)) / 3600_000).toBeCloseTo(4, 2);
    await admin.screenshot({ path: artifact('dashboard-alerts-390.png'), fullPage: true });
  });

  it('creates a notification channel from its form; a refusal shows next to the form', async () => {
    const fill = async () => {
      await admin.getByText('New channel', { exact: true }).click();
      const form = admin.locator('form[action="/ui/alerts/channels"]');
      await form.getByLabel('Name').fill('phone-hook');
      await form.getByLabel('Type').selectOption('webhook');
      await form.getByLabel('Webhook URL').fill('https://hooks.example.com/phone');
      await form.getByRole('button', { name: 'Create' }).click();
    };
    await fill();
    await admin.waitForURL('**/ui/alerts?notice=created*');
    expect(await admin.getByRole('status').textContent()).toContain('Created phone-hook.');
    const channels = (await (await fleet.api('/api/v1/notification/channels')).json()) as {
      items: { name: string; type: string }[];
    };
    expect(channels.items).toContainEqual(
      expect.objectContaining({ name: 'phone-hook', type: 'webhook' }),
    );
    // The same name again: the API's 409, shown in the open form, the name kept.
    const reported = problems.length;
    await fill();
    await admin.waitForURL('**/ui/alerts/channels');
    // Chromium logs the 409 page load itself as a console error: that one is expected, nothing else.
    const logged = problems.splice(reported);
    expect(logged.filter((m) => !m.includes('status of 409'))).toEqual([]);
    expect(await admin.locator('#channel-problem').isVisible()).toBe(true);
    expect(
      await admin.locator('form[action="/ui/alerts/channels"]').getByLabel('Name').inputValue(),
    ).toBe('phone-hook');
    expect(await noHorizontalScroll(admin)).toBeLessThanOrEqual(390);
    await admin.screenshot({ path: artifact('dashboard-channel-form-390.png'), fullPage: true });
  });

  it("downloads a workspace's bill as CSV", async () => {
    await admin.getByRole('link', { name: 'Metering' }).click();
    await admin.waitForURL('**/ui/metering');
    expect(await admin.locator('#prices').count()).toBe(1);
    const [download] = await Promise.all([
      admin.waitForEvent('download'),
      admin.getByRole('link', { name: 'Download ws-0 bill (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/ws-0.*\.csv$/);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.split(/\r?\n/)[0]).toMatch(/namespace/i);
    await admin.screenshot({ path: artifact('dashboard-metering-390.png'), fullPage: true });
  });

  it('switches to 简体中文 and remembers it', async () => {
    await admin.getByRole('link', { name: 'Overview' }).click();
    await admin.getByLabel('Language').selectOption('zh');
    await admin.getByRole('button', { name: 'Apply' }).click();
    await admin.waitForURL(`${fleet.edge.url}/ui`);
    expect(await admin.locator('html').getAttribute('lang')).toBe('zh');
    expect(await admin.getByRole('heading', { level: 1 }).textContent()).toBe('概览');
    expect(await admin.getByText('已连接').count()).toBeGreaterThan(0);
    await admin.reload();
    expect(await admin.getByRole('heading', { level: 1 }).textContent()).toBe('概览');
    await admin.screenshot({ path: artifact('dashboard-overview-zh-390.png'), fullPage: true });
  });

  it('never scrolls sideways at 360 px, in any language', async () => {
    const cookies = await admin.context().cookies();
    const narrow = await phone(360, 740);
    await narrow.context().addCookies(cookies);
    for (const lang of ['zh', 'en']) {
      await narrow.context().addCookies([{ name: 'et_lang', value: lang, url: fleet.edge.url }]);
      for (const path of [
        '/ui',
        '/ui/clusters',
        `/ui/clusters/${fleet.connected}`,
        '/ui/alerts',
        '/ui/workspaces',
        '/ui/workspaces/ws-0',
        '/ui/audit',
        '/ui/metering?level=namespace&range=7d',
      ]) {
        await narrow.goto(`${fleet.edge.url}${path}`);
        expect({ path, lang, width: await noHorizontalScroll(narrow) }).toEqual({
          path,
          lang,
          width: 360,
        });
      }
    }
    await narrow.screenshot({ path: artifact('dashboard-audit-360.png'), fullPage: true });
  });

  it('follows the system dark mode', async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      colorScheme: 'dark',
    });
    contexts.push(context);
    await context.addCookies(await admin.context().cookies());
    const page = await context.newPage();
    await page.goto(`${fleet.edge.url}/ui`);
    const background = await page.evaluate<string>(
      'getComputedStyle(document.body).backgroundColor',
    );
    expect(background).toBe('rgb(16, 19, 23)');
    await page.screenshot({ path: artifact('dashboard-overview-dark-390.png'), fullPage: true });
  });

  it('a workspace viewer sees only their workspace: clusters, namespaces, spend, alerts', async () => {
    const viewer = await phone();
    await signIn(viewer, fleet.viewer.username, fleet.viewer.password);
    const main = (await viewer.locator('main').textContent()) ?? '';
    expect(main).toContain(fleet.connected);
    expect(main).not.toContain(fleet.pending);
    expect(await viewer.locator('[data-live-firing="total"]').textContent()).toBe('1');
    // Spend is the viewer's own: the same figure GET /api/v1/overview gives them, never both workspaces.
    const login = await fetch(`${fleet.edge.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', ...fleet.viewer }),
    });
    const { access_token } = (await login.json()) as { access_token: string };
    const own = (await (
      await fetch(`${fleet.edge.url}/api/v1/overview`, {
        headers: { authorization: `Bearer ${access_token}` },
      })
    ).json()) as {
      clusters: { name: string }[];
      spend: { currency: string; amount: number; workspaces: number } | null;
    };
    expect(own.clusters.map((c) => c.name)).toEqual([fleet.connected]);
    if (own.spend === null) expect(main).toContain('No prices set yet');
    else {
      expect(own.spend.workspaces).toBeLessThanOrEqual(1);
      const money = new Intl.NumberFormat('en', {
        style: 'currency',
        currency: own.spend.currency,
      });
      expect(main).toContain(money.format(own.spend.amount));
    }
    expect(main).not.toContain('over 2 workspaces');
    expect(await viewer.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await viewer.screenshot({
      path: artifact('dashboard-viewer-overview-390.png'),
      fullPage: true,
    });

    await viewer.getByRole('link', { name: fleet.connected }).first().click();
    const namespaces = await viewer
      .locator('section', { has: viewer.locator('#namespaces') })
      .textContent();
    expect(namespaces).toContain('ns-0002');
    expect(namespaces).not.toContain('ns-0003');
    expect(namespaces).not.toContain('kube-system');
    const detail = (await viewer.locator('main').textContent()) ?? '';
    expect(detail).toContain('Ws0PodCrash');
    expect(detail).not.toContain('Ws1PodCrash');
    expect(detail).not.toContain('NodePressure');
    expect(await viewer.locator('form[action$="/join-token"]').count()).toBe(0);

    await viewer.goto(`${fleet.edge.url}/ui/alerts`);
    const alerts = (await viewer.locator('main').textContent()) ?? '';
    expect(alerts).toContain('Ws0PodCrash');
    for (const hidden of ['Ws1PodCrash', 'NodePressure', 'WestUnreachable'])
      expect(alerts).not.toContain(hidden);

    const other = await viewer.goto(`${fleet.edge.url}/ui/clusters/${fleet.pending}`);
    expect(other?.status()).toBe(404);
    const otherWs = await viewer.goto(`${fleet.edge.url}/ui/workspaces/ws-1`);
    expect(otherWs?.status()).toBe(404);
  });

  it('signs in through an OpenID provider from the sign-in page', async () => {
    const idp = 'corp-oidc';
    const oidc = await startOidcProvider({
      redirectUris: [`${fleet.edge.url}/oauth/callback/${idp}`],
    });
    try {
      const created = await fleet.api('/api/v1/identity-providers', {
        method: 'POST',
        body: JSON.stringify({
          name: idp,
          displayName: 'Corp SSO',
          type: 'oidc',
          config: { issuer: oidc.issuer, ...oidcClient, scopes: ['openid', 'profile', 'email'] },
        }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      // Its own context: the provider's page is not ours (its CSP and fonts are not under test).
      const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
      contexts.push(context);
      const page = await context.newPage();
      await page.goto(`${fleet.edge.url}/ui/alerts`);
      await page.getByRole('link', { name: 'Corp SSO' }).click();
      await page.waitForURL(`${oidc.issuer}/**`);
      await page.locator('input[name="login"]').fill('carol-sub-1');
      await page.locator('input[name="password"]').fill('any');
      await page.locator('button[type="submit"]').click();
      // Back on the page asked for, signed in by the dashboard session cookie.
      await page.waitForURL(`${fleet.edge.url}/ui/alerts`);
      expect(await page.locator('footer').textContent()).toContain('Signed in as carol-jones');
      const session = (await context.cookies()).find((c) => c.name === 'et_session');
      expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
      await page.screenshot({ path: artifact('dashboard-oidc-signed-in-390.png'), fullPage: true });
    } finally {
      await oidc.stop();
    }
  });

  it('signs out: the session cookie no longer opens a page', async () => {
    const page = await phone();
    await signIn(page, FLEET_ADMIN.username, FLEET_ADMIN.password);
    const session = (await page.context().cookies()).find((c) => c.name === 'et_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
    expect(await page.evaluate<string>('document.cookie')).not.toContain('et_session');
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/ui/sign-in');
    const replay = await fetch(`${fleet.edge.url}/ui`, {
      headers: { cookie: `et_session=${session!.value}` },
      redirect: 'manual',
    });
    expect(replay.status).toBe(303);
  });

  it('updates cluster status in place while the overview is open (live script, no reload)', async () => {
    const page = await phone();
    await signIn(page, FLEET_ADMIN.username, FLEET_ADMIN.password);
    const badge = page.locator(`[data-live-cluster="${fleet.pending}"]`);
    expect(await badge.textContent()).toBe('Waiting for agent');
    let reloaded = false;
    page.on('framenavigated', () => {
      reloaded = true;
    });
    await fleet.connectAgent(fleet.pending);
    // The script polls /ui/live every 15 s: the badge turns without a navigation.
    // (Polled from here: waitForFunction would eval in the page, which the CSP forbids.)
    await expect
      .poll(() => badge.textContent(), { timeout: 60_000, interval: 500 })
      .toBe('Connected');
    expect(await badge.getAttribute('class')).toBe('badge s-connected');
    expect(reloaded).toBe(false);
  });

  it('loaded the script and stylesheet under the strict CSP without a single violation', () => {
    expect(problems).toEqual([]);
  });
});
