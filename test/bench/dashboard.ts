/**
 * Issue 7's budget: the overview's first screen on a phone on a slow link.
 * `wrangler dev` with a connected agent (Kubernetes API emulator) and seeded
 * alerts (test/support/browser-fleet.ts); Debian Chromium at 390×844 with
 * CDP's Network.emulateNetworkConditions at "slow 4G" (RTT_MS 400 ms,
 * DOWN_KBPS 400 kbit/s down, UP_KBPS 400 kbit/s up) and at full loopback
 * speed. Per page and profile, RUNS (5) cold loads (cache disabled, fresh
 * connection) and RUNS warm ones (cache on: the hashed assets are immutable):
 *  - transferred bytes: every response of the navigation as it went over the
 *    wire (CDP encodedDataLength: compressed bodies plus headers);
 *  - requests, first contentful paint (Chromium's paint timing),
 *    DOMContentLoaded and load (navigation timing), medians.
 * Budget: <= 60 KB transferred for the first screen, one round trip of API data.
 */
import type { Browser, BrowserContext, Cookie } from 'playwright-core';
import { launchChromium } from '../support/browser';
import { FLEET_ADMIN, startBrowserFleet } from '../support/browser-fleet';
import { percentile, printTable } from './load';

const runs = Number(process.env.RUNS ?? 5);
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

async function main() {
  const fleet = await startBrowserFleet();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const signIn = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await signIn.newPage();
    await page.goto(`${fleet.edge.url}/ui/sign-in`);
    await page.getByLabel('Username').fill(FLEET_ADMIN.username);
    await page.getByLabel('Password').fill(FLEET_ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${fleet.edge.url}/ui`);
    const session: Cookie[] = await signIn.cookies();
    await signIn.close();

    const rows: Record<string, string | number>[] = [];
    const profiles: Profile[] = [
      { name: `slow 4G (${rttMs} ms, ${downKbps} kbit/s)`, throttle: true },
      { name: 'loopback', throttle: false },
    ];
    const pages = [
      { name: 'overview /ui', path: '/ui', cookies: session },
      { name: 'sign-in', path: '/ui/sign-in', cookies: [] },
    ];
    for (const profile of profiles)
      for (const target of pages)
        for (const cold of [true, false]) {
          const samples: Sample[] = [];
          for (let i = 0; i < runs; i++) {
            // Cold: a fresh context (no connection, no cache). Warm: the same one, loaded once first.
            const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
            await context.addCookies(target.cookies);
            if (!cold) await measure(context, `${fleet.edge.url}${target.path}`, profile, false);
            samples.push(await measure(context, `${fleet.edge.url}${target.path}`, profile, cold));
            await context.close();
          }
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
  } finally {
    await browser?.close();
    await fleet.close();
  }
}

await main();
