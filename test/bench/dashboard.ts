/**
 * Issue 7's and issue 18's budgets: the overview's first screen on a phone on
 * a slow link, and every page's size. `wrangler dev` with a connected agent
 * (Kubernetes API emulator) and seeded alerts (test/support/browser-fleet.ts,
 * plus a channel, a receiver and a silence here so those lists are not empty);
 * Debian Chromium at 390×844.
 *
 * 1. First screen, timed: the overview and the sign-in page with CDP's
 *    Network.emulateNetworkConditions at "slow 4G" (RTT_MS 400 ms,
 *    DOWN_KBPS 400 kbit/s down, UP_KBPS 400 kbit/s up) and at full loopback
 *    speed. Per page and profile, RUNS (5) cold loads (cache disabled, fresh
 *    connection) and RUNS warm ones (cache on: the hashed assets are
 *    immutable): transferred bytes, requests, first contentful paint,
 *    DOMContentLoaded and load (medians).
 * 2. Every page, sized: each dashboard page a signed-in admin can open
 *    (PAGE_RUNS, 3, cold and warm loads each at loopback speed; bytes do not
 *    depend on the link), median bytes transferred and requests.
 *
 * Transferred bytes are every response of the navigation as it went over the
 * wire (CDP encodedDataLength: compressed bodies plus headers).
 * Budgets: <= 60 KB transferred for the first screen (cold), <= 10 KB for
 * every warm page; one round trip of API data. Exits non-zero when a budget
 * is not met.
 */
import type { Browser, BrowserContext, Cookie } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { type BrowserFleet, FLEET_ADMIN, startBrowserFleet } from '../support/browser-fleet';
import { percentile, printTable } from './load';

const runs = Number(process.env.RUNS ?? 5);
const pageRuns = Number(process.env.PAGE_RUNS ?? 3);
const rttMs = Number(process.env.RTT_MS ?? 400);
const downKbps = Number(process.env.DOWN_KBPS ?? 400);
const upKbps = Number(process.env.UP_KBPS ?? 400);

interface Sample {
  bytes: number;
  requests: number;
  fcp: number;
  dcl: number;
  load: number;
}

interface Profile {
  name: string;
  throttle: boolean;
}

async function measure(
  context: BrowserContext,
  url: string,
  profile: Profile,
  cold: boolean,
): Promise<Sample> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: cold });
  if (profile.throttle)
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: rttMs,
      downloadThroughput: (downKbps * 1000) / 8,
      uploadThroughput: (upKbps * 1000) / 8,
    });
  let bytes = 0;
  let requests = 0;
  cdp.on('Network.loadingFinished', (e: { encodedDataLength: number }) => {
    bytes += e.encodedDataLength;
    requests++;
  });
  await page.goto(url, { waitUntil: 'load' });
  // First contentful paint can be reported just after `load`: wait for it (at most 5 s).
  const timing = await page.evaluate<{
    fcp: number;
    dcl: number;
    load: number;
  }>(`new Promise((resolve) => {
    const nav = performance.getEntriesByType('navigation')[0];
    const done = (fcp) => resolve({ fcp, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd });
    const seen = performance.getEntriesByName('first-contentful-paint')[0];
    if (seen) return done(seen.startTime);
    new PerformanceObserver((list) => {
      const entry = list.getEntriesByName('first-contentful-paint')[0];
      if (entry) done(entry.startTime);
    }).observe({ type: 'paint', buffered: true });
    setTimeout(() => done(NaN), 5000);
  })`);
  await page.close();
  return { bytes, requests, ...timing };
}

const median = (values: number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

interface Target {
  name: string;
  path: string;
  cookies: Cookie[];
}

/** RUNS loads of `target`: cold in a fresh context, warm in one that loaded the page once first. */
async function sample(
  browser: Browser,
  origin: string,
  target: Target,
  profile: Profile,
  cold: boolean,
  count: number,
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < count; i++) {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    await context.addCookies(target.cookies);
    if (!cold) await measure(context, `${origin}${target.path}`, profile, false);
    samples.push(await measure(context, `${origin}${target.path}`, profile, cold));
    await context.close();
  }
  return samples;
}

/** A channel, a receiver and a silence, so the alerts page's lists are not empty; the channel's id. */
async function seedLists(fleet: BrowserFleet): Promise<string> {
  const post = async (path: string, body: unknown) => {
    const res = await fleet.api(path, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id?: string };
  };
  const channel = await post('/api/v1/notification/channels', {
    name: 'bench-hook',
    type: 'webhook',
    config: { url: 'https://hooks.example.com/bench' },
  });
  await post('/api/v1/notification/receivers', {
    name: 'bench-receiver',
    channels: ['bench-hook'],
    matchers: [{ name: 'severity', op: '=', value: 'critical' }],
  });
  await post('/api/v2/silences', {
    matchers: [{ name: 'alertname', value: 'NodePressure', isRegex: false, isEqual: true }],
    startsAt: new Date().toISOString(),
    endsAt: new Date(Date.now() + 3600_000).toISOString(),
    createdBy: FLEET_ADMIN.username,
    comment: 'bench: known',
  });
  return channel.id ?? '';
}

/**
 * Busy lists for the pages that grow: 40 critical / warning alerts with
 * summaries and runbook links (needs attention, firing: two pages), 30
 * silenced ones (two pages) and 25 more silences (two pages).
 */
async function seedBusyLists(fleet: BrowserFleet) {
  const send = async (path: string, body: unknown) => {
    const res = await fleet.api(path, { method: 'POST', body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
  };
  const endsAt = new Date(Date.now() + 3600_000).toISOString();
  const alert = (i: number, labels: Record<string, string>) => ({
    labels: { cluster: fleet.connected, namespace: i % 2 ? 'ns-0002' : 'ns-0003', ...labels },
    annotations: {
      summary: `Pod ${labels.alertname} restarted ${i + 3} times in the last 10 minutes`,
      runbook_url: `https://runbooks.example.com/${labels.alertname}`,
    },
    startsAt: new Date(Date.now() - i * 60_000).toISOString(),
    endsAt,
  });
  await send('/api/v2/alerts', [
    ...Array.from({ length: 40 }, (_, i) =>
      alert(i, {
        alertname: `BusyCrashLoop${i}`,
        severity: i % 3 ? 'warning' : 'critical',
        pod: `web-${i}-7f9c6d5b8-x2k4q`,
      }),
    ),
    ...Array.from({ length: 30 }, (_, i) =>
      alert(i, { alertname: `BusyQuiet${i}`, severity: 'warning', batch: 'busy-quiet' }),
    ),
  ]);
  for (let i = 0; i < 25; i++)
    await send('/api/v2/silences', {
      matchers: [
        i === 0
          ? { name: 'batch', value: 'busy-quiet', isRegex: false, isEqual: true }
          : { name: 'alertname', value: `Planned${i}`, isRegex: false, isEqual: true },
      ],
      startsAt: new Date().toISOString(),
      endsAt,
      createdBy: FLEET_ADMIN.username,
      comment: `bench: planned maintenance window ${i}`,
    });
}

/** Every page a signed-in platform admin can open (the one-time join page excepted: it shows once). */
function everyPage(fleet: BrowserFleet, session: Cookie[], channelId: string): Target[] {
  const c = fleet.connected;
  const pages: [string, string][] = [
    ['sign-in', '/ui/sign-in'],
    ['overview', '/ui'],
    ['clusters', '/ui/clusters'],
    ['cluster (connected)', `/ui/clusters/${c}`],
    ['cluster (not ready nodes)', `/ui/clusters/${c}?nodes=not-ready`],
    ['cluster (pending)', `/ui/clusters/${fleet.pending}`],
    ['rotate (confirm)', `/ui/clusters/${c}/rotate`],
    ['delete cluster (confirm)', `/ui/clusters/${fleet.pending}/delete`],
    ['workspaces', '/ui/workspaces'],
    ['workspace', '/ui/workspaces/ws-0'],
    ['remove member (confirm)', `/ui/workspaces/ws-0/members/${fleet.viewer.username}/remove`],
    ['apps', '/ui/workspaces/ws-0/apps'],
    ['new app', '/ui/workspaces/ws-0/apps/new'],
    ['bill', '/ui/workspaces/ws-0/bill'],
    ['metering', '/ui/metering'],
    ['alerts', '/ui/alerts'],
    ['delete channel (confirm)', `/ui/alerts/channels/delete?id=${channelId}&name=bench-hook`],
    ['audit', '/ui/audit'],
    ['error (404)', '/ui/clusters/no-such-cluster'],
  ];
  return pages.map(([name, path]) => ({
    name,
    path,
    cookies: name === 'sign-in' ? [] : session,
  }));
}

async function main() {
  const fleet = await startBrowserFleet();
  let browser: Browser | undefined;
  try {
    const chromium = await launchChromium();
    browser = chromium;
    const signIn = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await signIn.newPage();
    await page.goto(`${fleet.edge.url}/ui/sign-in`);
    await page.getByLabel('Username').fill(FLEET_ADMIN.username);
    await page.getByLabel('Password').fill(FLEET_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${fleet.edge.url}/ui`);
    const session: Cookie[] = await signIn.cookies();
    await signIn.close();

    const channelId = await seedLists(fleet);

    const rows: Record<string, string | number>[] = [];
    const profiles: Profile[] = [
      { name: `slow 4G (${rttMs} ms, ${downKbps} kbit/s)`, throttle: true },
      { name: 'loopback', throttle: false },
    ];
    const firstScreen = [
      { name: 'overview /ui', path: '/ui', cookies: session },
      { name: 'sign-in', path: '/ui/sign-in', cookies: [] },
    ];
    for (const profile of profiles)
      for (const target of firstScreen)
        for (const cold of [true, false]) {
          const samples = await sample(browser, fleet.edge.url, target, profile, cold, runs);
          rows.push({
            profile: profile.name,
            page: target.name,
            load: cold ? 'cold' : 'warm',
            runs,
            'KB transferred': median(samples.map((s) => s.bytes)) / 1024,
            'requests (cached too)': median(samples.map((s) => s.requests)),
            'first paint ms': median(samples.map((s) => s.fcp)),
            'DOMContentLoaded ms': median(samples.map((s) => s.dcl)),
            'load ms': median(samples.map((s) => s.load)),
          });
        }
    printTable(rows);
    const overviewCold = rows.find((r) => r.page === 'overview /ui' && r.load === 'cold');
    const kb = Number(overviewCold?.['KB transferred']);
    console.log(
      `\nfirst screen (overview, cold): ${kb.toFixed(1)} KB transferred — budget 60 KB: ${kb <= 60 ? 'met' : 'NOT met'}`,
    );

    // Every page: cold and warm size at loopback speed (bytes do not depend on the link).
    const loopback: Profile = { name: 'loopback', throttle: false };
    const sized: Record<string, string | number>[] = [];
    const size = async (target: Target) => {
      const cold = await sample(chromium, fleet.edge.url, target, loopback, true, pageRuns);
      const warm = await sample(chromium, fleet.edge.url, target, loopback, false, pageRuns);
      const warmKb = median(warm.map((s) => s.bytes)) / 1024;
      sized.push({
        page: target.name,
        path: target.path,
        'cold KB': median(cold.map((s) => s.bytes)) / 1024,
        'cold requests': median(cold.map((s) => s.requests)),
        'warm KB': warmKb,
        'warm requests (cached too)': median(warm.map((s) => s.requests)),
        'warm ≤ 10 KB': warmKb <= 10 ? 'yes' : 'NO',
      });
    };
    for (const target of everyPage(fleet, session, channelId)) await size(target);
    // The pages whose lists grow, again with busy lists: 40 problem alerts, 30 silenced, 25 silences.
    await seedBusyLists(fleet);
    for (const [name, path] of [
      ['overview (busy)', '/ui'],
      ['cluster (busy)', `/ui/clusters/${fleet.connected}`],
      ['alerts (busy)', '/ui/alerts'],
      ['alerts page 2 (busy)', '/ui/alerts?page=2&spage=2&xpage=2'],
      ['audit (busy)', '/ui/audit'],
    ] as const)
      await size({ name, path, cookies: session });
    const over = sized.filter((r) => r['warm ≤ 10 KB'] !== 'yes').map((r) => r.page);
    console.log(`\nevery page (loopback, median of ${pageRuns} cold and ${pageRuns} warm loads):`);
    printTable(sized);
    console.log(
      `\nwarm pages ≤ 10 KB: ${over.length === 0 ? 'met on every page' : `NOT met: ${over.join(', ')}`}`,
    );
    if (kb > 60 || over.length > 0) process.exitCode = 1;
  } finally {
    await browser?.close();
    await fleet.close();
  }
}

await main();
