import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, fetchWorker, type Persona, seedFixture } from './support/fixture';
import { ORIGIN } from './support/ui-browser';
import { browserSessions } from './support/ui-sessions';

let fx: Fixture;

const as = browserSessions();

/** Posts a dashboard form (with the browser's CSRF token) as `persona`. */
async function submit(persona: Persona, path: string, fields: Record<string, string>) {
  const browser = await as(persona);
  return browser.post(path, { _csrf: browser.csrf, ...fields });
}

const auditOf = async (name: string) =>
  (
    await env.DB.prepare(
      'select user, verb, outcome, status from audit_events where name = ? order by time',
    )
      .bind(name)
      .all()
  ).results;

const channels = async (persona: Persona) =>
  (
    (await api('GET', '/api/v1/notification/channels?limit=100', fx.as(persona))).body as {
      items: { id: string; name: string; type: string; owner: string; secretFields: string[] }[];
    }
  ).items;
const receivers = async (persona: Persona) =>
  (
    (await api('GET', '/api/v1/notification/receivers?limit=100', fx.as(persona))).body as {
      items: {
        id: string;
        name: string;
        channels: string[];
        matchers: { name: string; op: string; value: string }[];
        sendResolved: boolean;
        owner: string;
      }[];
    }
  ).items;

beforeAll(async () => {
  fx = await seedFixture();
});

describe('notification channels from the alerts page', () => {
  it('offers the create form and creates a channel as the user, in their workspace, audited', async () => {
    const page = await (await as('alpha-admin')).get('/ui/alerts');
    const html = await page.text();
    expect(html).toContain('action="/ui/alerts/channels"');
    // No channel yet: the receiver form asks for one first.
    expect(html).toContain('Create a channel first.');
    const res = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'ui-hook',
      type: 'slack',
      url: 'https://hooks.example.com/services/T0/B0/x',
      config: '{"format": "blocks"}',
      workspace: 'alpha',
    });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/alerts?notice=created&name=ui-hook');
    const made = (await channels('alpha-admin')).find((c) => c.name === 'ui-hook');
    expect(made).toMatchObject({ type: 'slack', secretFields: ['webhookUrl'] });
    // The URL is a secret: sealed at rest, never on the page.
    const after = await (await as('alpha-admin')).get('/ui/alerts?notice=created&name=ui-hook');
    const text = await after.text();
    expect(text).toContain('Created ui-hook.');
    expect(text).toContain('action="/ui/alerts/receivers"');
    expect(text).not.toContain('hooks.example.com/services');
    expect(await auditOf('ui-hook')).toEqual([
      expect.objectContaining({ user: 'alpha-admin', outcome: 'success', status: 201 }),
    ]);
    // Another workspace's admin does not see it.
    expect((await channels('beta-admin')).map((c) => c.name)).not.toContain('ui-hook');
  });

  it('shows the form’s own validation next to it, keeping what was typed (but not the URL)', async () => {
    const res = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'bad-config',
      type: 'webhook',
      url: 'https://hooks.example.com/secret-path',
      config: '[1, 2]',
      workspace: 'alpha',
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('id="channel-problem"');
    expect(html).toContain('must be a JSON object');
    expect(html).toContain('value="bad-config"');
    expect(html).not.toContain('secret-path');
    const typeRes = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'x',
      type: 'pigeon',
    });
    expect(typeRes.status).toBe(400);
    expect(await typeRes.text()).toContain('id="channel-problem"');
  });

  it('shows the API’s refusal next to the form with its status: bad name, missing URL, taken name, another tenant', async () => {
    const badName = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'Not_A_Label',
      type: 'webhook',
      url: 'https://hooks.example.com/a',
      workspace: 'alpha',
    });
    expect(badName.status).toBe(400);
    expect(await badName.text()).toContain('id="channel-problem"');
    const noUrl = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'no-url',
      type: 'discord',
      workspace: 'alpha',
    });
    expect(noUrl.status).toBe(400);
    expect(await noUrl.text()).toMatch(/id="channel-problem"[\s\S]*webhookUrl/);
    const taken = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'ui-hook',
      type: 'webhook',
      url: 'https://hooks.example.com/b',
      workspace: 'alpha',
    });
    expect(taken.status).toBe(409);
    expect(await taken.text()).toContain('id="channel-problem"');
    const foreign = await submit('alpha-admin', '/ui/alerts/channels', {
      name: 'into-beta',
      type: 'webhook',
      url: 'https://hooks.example.com/c',
      workspace: 'beta',
    });
    expect([403, 404]).toContain(foreign.status);
    expect(await foreign.text()).toContain('id="channel-problem"');
    expect((await channels('admin')).map((c) => c.name)).not.toContain('into-beta');
  });

  it('refuses a form without the CSRF token', async () => {
    const browser = await as('alpha-admin');
    const res = await browser.post('/ui/alerts/channels', {
      name: 'no-csrf',
      type: 'webhook',
      url: 'https://hooks.example.com/d',
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('csrf_failed');
  });
});

describe('receivers from the alerts page', () => {
  it('creates a receiver with checked channels and matchers, as the user', async () => {
    const browser = await as('alpha-admin');
    const page = await (await browser.get('/ui/alerts')).text();
    expect(page).toContain('name="channels" value="ui-hook"');
    const body = new URLSearchParams([
      ['_csrf', browser.csrf],
      ['name', 'ui-oncall'],
      ['channels', 'ui-hook'],
      ['matchers', 'severity=critical, namespace=~"alpha-.*"'],
      ['workspace', 'alpha'],
    ]);
    const res = await browser.post('/ui/alerts/receivers', Object.fromEntries(body));
    expect(res.status, await res.clone().text()).toBe(303);
    const made = (await receivers('alpha-admin')).find((r) => r.name === 'ui-oncall');
    expect(made).toMatchObject({
      channels: ['ui-hook'],
      matchers: [
        { name: 'severity', op: '=', value: 'critical' },
        { name: 'namespace', op: '=~', value: 'alpha-.*' },
      ],
      // The box was not ticked.
      sendResolved: false,
    });
    expect(await auditOf('ui-oncall')).toEqual([
      expect.objectContaining({ user: 'alpha-admin', outcome: 'success', status: 201 }),
    ]);
  });

  it('takes several ticked channels (one field per checkbox)', async () => {
    const second = await api('POST', '/api/v1/notification/channels', fx.as('alpha-admin'), {
      name: 'ui-hook-2',
      type: 'webhook',
      config: { url: 'https://hooks.example.com/second' },
      workspace: 'alpha',
    });
    expect(second.status).toBe(201);
    const browser = await as('alpha-admin');
    const res = await fetchWorker('/ui/alerts/receivers', {
      method: 'POST',
      redirect: 'manual',
      headers: {
        accept: 'text/html',
        origin: ORIGIN,
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
      body: new URLSearchParams([
        ['_csrf', browser.csrf],
        ['name', 'ui-both'],
        ['channels', 'ui-hook'],
        ['channels', 'ui-hook-2'],
        ['sendResolved', 'on'],
        ['workspace', 'alpha'],
      ]).toString(),
    });
    expect(res.status, await res.clone().text()).toBe(303);
    const made = (await receivers('alpha-admin')).find((r) => r.name === 'ui-both');
    expect(made).toMatchObject({
      channels: ['ui-hook', 'ui-hook-2'],
      matchers: [],
      sendResolved: true,
    });
    // Cleaned up so the channel can be deleted below.
    await api('DELETE', `/api/v1/notification/receivers/${made?.id}`, fx.as('alpha-admin'));
  });

  it('shows bad matchers, no channel and an unknown channel next to the form', async () => {
    const noChannel = await submit('alpha-admin', '/ui/alerts/receivers', {
      name: 'r-none',
      matchers: 'severity=critical',
    });
    expect(noChannel.status).toBe(400);
    const noChannelHtml = await noChannel.text();
    expect(noChannelHtml).toContain('id="receiver-problem"');
    expect(noChannelHtml).toContain('choose at least one channel');
    const badMatcher = await submit('alpha-admin', '/ui/alerts/receivers', {
      name: 'r-bad',
      channels: 'ui-hook',
      matchers: 'severity critical',
    });
    expect(badMatcher.status).toBe(400);
    const badHtml = await badMatcher.text();
    expect(badHtml).toContain('is not name=value');
    expect(badHtml).toContain('value="severity critical"');
    const badRegex = await submit('alpha-admin', '/ui/alerts/receivers', {
      name: 'r-regex',
      channels: 'ui-hook',
      matchers: 'alertname=~"("',
      workspace: 'alpha',
    });
    expect(badRegex.status).toBe(400);
    expect(await badRegex.text()).toContain('id="receiver-problem"');
    const unknown = await submit('alpha-admin', '/ui/alerts/receivers', {
      name: 'r-unknown',
      channels: 'no-such-channel',
      workspace: 'alpha',
    });
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
    expect(await unknown.text()).toContain('id="receiver-problem"');
  });

  it('deletes a receiver, then its channel; another tenant’s delete is a 404 page', async () => {
    const receiver = (await receivers('alpha-admin')).find((r) => r.name === 'ui-oncall');
    const channel = (await channels('alpha-admin')).find((c) => c.name === 'ui-hook');
    expect(receiver && channel).toBeTruthy();
    const foreign = await submit('beta-admin', '/ui/alerts/receivers/delete', {
      id: receiver?.id ?? '',
      name: 'ui-oncall',
    });
    expect(foreign.status).toBe(404);
    const foreignChannel = await submit('beta-admin', '/ui/alerts/channels/delete', {
      id: channel?.id ?? '',
      name: 'ui-hook',
    });
    expect(foreignChannel.status).toBe(404);
    const page = await (await (await as('alpha-admin')).get('/ui/alerts')).text();
    // Delete is a link to a confirmation page; only that page's form posts.
    const confirmHref = `/ui/alerts/receivers/delete?id=${receiver?.id}&amp;name=ui-oncall`;
    expect(page).toContain(`href="${confirmHref}"`);
    expect(page).not.toContain('action="/ui/alerts/receivers/delete"');
    const confirm = await (await as('alpha-admin')).get(confirmHref.replace('&amp;', '&'));
    expect(confirm.status).toBe(200);
    const confirmHtml = await confirm.text();
    expect(confirmHtml).toContain('Delete receiver ui-oncall?');
    expect(confirmHtml).toContain('action="/ui/alerts/receivers/delete"');
    expect(confirmHtml).toContain('href="/ui/alerts">Cancel');
    const delReceiver = await submit('alpha-admin', '/ui/alerts/receivers/delete', {
      id: receiver?.id ?? '',
      name: 'ui-oncall',
    });
    expect(delReceiver.status).toBe(303);
    expect(delReceiver.headers.get('location')).toBe('/ui/alerts?notice=deleted&name=ui-oncall');
    const delChannel = await submit('alpha-admin', '/ui/alerts/channels/delete', {
      id: channel?.id ?? '',
      name: 'ui-hook',
    });
    expect(delChannel.status).toBe(303);
    expect((await receivers('alpha-admin')).map((r) => r.name)).not.toContain('ui-oncall');
    expect((await channels('alpha-admin')).map((c) => c.name)).not.toContain('ui-hook');
    const audit = await auditOf('ui-hook');
    expect(audit.at(-1)).toMatchObject({ user: 'alpha-admin', outcome: 'success' });
  });
});

describe('prices from the metering page (platform admins)', () => {
  it('shows the form to platform admins only', async () => {
    const admin = await (await (await as('admin')).get('/ui/metering')).text();
    expect(admin).toContain('action="/ui/metering/prices"');
    const viewer = await (await (await as('alpha-admin')).get('/ui/metering')).text();
    expect(viewer).not.toContain('action="/ui/metering/prices"');
  });

  it('saves a price from the next whole hour, audited, shown on the page', async () => {
    const res = await submit('admin', '/ui/metering/prices', {
      currency: 'eur',
      cpuPerCoreHour: '0.05',
      memoryPerGiBHour: '0.006',
      ingressPerGiB: '0',
      egressPerGiB: '0.08',
      pvcPerGiBHour: '0.0003',
      effectiveFrom: '',
    });
    expect(res.status, await res.clone().text()).toBe(303);
    const location = res.headers.get('location') ?? '';
    const from = new URL(location, 'https://edge.test').searchParams.get('from') ?? '';
    expect(location).toMatch(/^\/ui\/metering\?notice=priced&from=/);
    const nextHour = Math.ceil((Date.now() + 1) / 3600_000) * 3600_000;
    expect(Date.parse(from)).toBe(nextHour);
    const page = await (await (await as('admin')).get(location)).text();
    expect(page).toContain('Price saved, in effect from');
    expect(page).toContain('€0.05');
    const prices = await api('GET', '/api/v1/metering/prices', fx.as('admin'));
    expect(JSON.stringify(prices.body)).toContain('"cpuPerCoreHour":0.05');
    const audit = await env.DB.prepare(
      "select user, outcome from audit_events where resource = 'prices' and verb = 'update'",
    ).all();
    expect(audit.results).toContainEqual({ user: 'admin', outcome: 'success' });
  });

  it('shows bad numbers, an unknown currency and a past start next to the form', async () => {
    const fields = {
      currency: 'USD',
      cpuPerCoreHour: '0.05',
      memoryPerGiBHour: '0.006',
      ingressPerGiB: '0',
      egressPerGiB: '0.08',
      pvcPerGiBHour: '0.0003',
    };
    const bad = await submit('admin', '/ui/metering/prices', { ...fields, cpuPerCoreHour: '-1' });
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain('id="price-problem"');
    expect(badHtml).toContain('value="-1"');
    const currency = await submit('admin', '/ui/metering/prices', { ...fields, currency: 'XYZ' });
    expect(currency.status).toBe(400);
    expect(await currency.text()).toMatch(/id="price-problem"[\s\S]*ISO 4217/);
    const past = await submit('admin', '/ui/metering/prices', {
      ...fields,
      effectiveFrom: '2020-01-01T00:00',
    });
    expect(past.status).toBe(400);
    expect(await past.text()).toContain('id="price-problem"');
  });

  it('a non-admin posting the form gets the API’s 403 next to it, nothing stored', async () => {
    const res = await submit('alpha-admin', '/ui/metering/prices', {
      currency: 'USD',
      cpuPerCoreHour: '9',
      memoryPerGiBHour: '9',
      ingressPerGiB: '9',
      egressPerGiB: '9',
      pvcPerGiBHour: '9',
    });
    expect(res.status).toBe(403);
    const prices = await api('GET', '/api/v1/metering/prices', fx.as('admin'));
    expect(JSON.stringify(prices.body)).not.toContain('"cpuPerCoreHour":9');
  });
});
