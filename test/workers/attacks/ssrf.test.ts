import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../../db/client';
import { insertChannel } from '../../../db/queries/notify-channels';
import { encryptSecret } from '../../../functions/crypto/secrets';
import { sealConfig as sealProviderConfig } from '../../../functions/identity/provider-config';
import { api, type Fixture, seedFixture } from '../support/fixture';
import { ldapConfig } from '../support/identity';
import {
  apiWith,
  deliveryMessage,
  devEnv,
  firingAlert,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from '../support/notify';
import { consume, historyOf } from './notify-queue';

/**
 * Issue #12, attack 3: alternate spellings of private, loopback, metadata
 * and reserved addresses slipped past the notification target guard (as a
 * webhook URL and as an SMTP host), and stored channels were delivered to
 * them. Every row must be refused with 400 `target_not_allowed` and a
 * message naming why.
 */

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const channelsPath = '/api/v1/notification/channels';
const strictEnv = () => ({ ...env, ALLOW_PRIVATE_WEBHOOKS: 'false' });
let seq = 0;
const nextName = (kind: string) => `ssrf-${kind}-${seq++}`;

type Why = 'loopback' | 'private' | 'link-local' | 'metadata' | 'reserved';

/** Host spellings (as they would appear in a URL authority) and the reason each is refused. */
const refusedHosts: [host: string, why: Why][] = [
  // IPv4 loopback in every spelling WHATWG URL and inet_aton accept.
  ['127.0.0.1', 'loopback'],
  ['0x7f.0.0.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['017700000001', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['127.1', 'loopback'],
  ['127.0.0.1.', 'loopback'],
  ['127%2e0%2e0%2e1', 'loopback'],
  ['[::1]', 'loopback'],
  ['[0:0:0:0:0:0:0:1]', 'loopback'],
  // IPv6 forms carrying an IPv4 address.
  ['[::ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['[0:0:0:0:0:ffff:127.0.0.1]', 'loopback'],
  ['[::ffff:0:127.0.0.1]', 'loopback'],
  ['[64:ff9b::127.0.0.1]', 'loopback'],
  ['[64:ff9b::a00:1]', 'private'],
  ['[64:ff9b:1::a00:1]', 'reserved'],
  ['[2002:7f00:1::]', 'loopback'],
  ['[2002:c0a8:101::1]', 'private'],
  ['[2001:0:4136:e378:8000:63bf:80ff:fffe]', 'reserved'],
  ['[::127.0.0.1]', 'reserved'],
  ['[::a00:1]', 'reserved'],
  // Unspecified ("this host" on most stacks).
  ['0.0.0.0', 'reserved'],
  ['0', 'reserved'],
  ['0.1.2.3', 'reserved'],
  ['[::]', 'reserved'],
  // Private, carrier-grade NAT, unique local.
  ['10.0.0.1', 'private'],
  ['012.0.0.1', 'private'],
  ['172.16.0.1', 'private'],
  ['192.168.1.1', 'private'],
  ['3232235777', 'private'],
  ['100.64.0.1', 'private'],
  ['100.127.255.254', 'private'],
  ['[fd12:3456::1]', 'private'],
  ['[fc00::1]', 'private'],
  ['[::ffff:10.0.0.1]', 'private'],
  // Link-local.
  ['169.254.1.1', 'link-local'],
  ['[fe80::1]', 'link-local'],
  ['[febf::1]', 'link-local'],
  ['[::ffff:169.254.1.1]', 'link-local'],
  // Multicast, broadcast, reserved, benchmarking, documentation, site-local.
  ['224.0.0.1', 'reserved'],
  ['239.255.255.250', 'reserved'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['198.19.255.1', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.7', 'reserved'],
  ['203.0.113.9', 'reserved'],
  ['192.0.0.8', 'reserved'],
  ['[ff02::1]', 'reserved'],
  ['[2001:db8::1]', 'reserved'],
  ['[2001:2::1]', 'reserved'],
  ['[fec0::1]', 'reserved'],
  ['[100::1]', 'reserved'],
  ['[4000::1]', 'reserved'],
  // Cloud metadata endpoints, however spelled.
  ['169.254.169.254', 'metadata'],
  ['0xa9fea9fe', 'metadata'],
  ['2852039166', 'metadata'],
  ['0251.0376.0251.0376', 'metadata'],
  ['169.254.43518', 'metadata'],
  ['[::ffff:a9fe:a9fe]', 'metadata'],
  ['[::ffff:169.254.169.254]', 'metadata'],
  ['[64:ff9b::a9fe:a9fe]', 'metadata'],
  ['[2002:a9fe:a9fe::1]', 'metadata'],
  ['[fd00:ec2::254]', 'metadata'],
  ['[fd00:ec2:0:0:0:0:0:254]', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['[::ffff:6464:64c8]', 'metadata'],
  ['169.254.170.2', 'metadata'],
  ['168.63.129.16', 'metadata'],
  ['metadata.google.internal', 'metadata'],
  ['metadata.google.internal.', 'metadata'],
  ['METADATA.GOOGLE.INTERNAL', 'metadata'],
];

/** Names that only ever mean this machine or a private network. */
const refusedNames = [
  'localhost',
  'LOCALHOST',
  'localhost.',
  'ｌｏｃａｌｈｏｓｔ',
  'api.localhost',
  'api.localhost.',
  'db.internal',
  'db.internal.',
  'printer.local',
  'router.home.arpa',
];

const publicUrls = [
  'https://hooks.example.com/services/T000/B000/X',
  'https://93.184.216.34/hook',
  'http://8.8.8.8:8080/hook',
  'https://[2606:4700:4700::1111]/hook',
  'https://[::ffff:8.8.8.8]/hook',
  'https://[64:ff9b::808:808]/hook',
  'https://localhost.example.com/hook',
  'https://internal.example.com/hook',
];

/** An SMTP host as an admin would type it: no brackets around IPv6. */
const asSmtpHost = (host: string) => host.replace(/^\[(.*)\]$/, '$1');

async function createWebhook(url: string, workerEnv: Cloudflare.Env = strictEnv()) {
  return apiWith(
    'POST',
    channelsPath,
    fx.as('admin'),
    { name: nextName('hook'), type: 'webhook', config: { url } },
    workerEnv,
  );
}

async function createSmtp(smtpHost: string, workerEnv: Cloudflare.Env = strictEnv()) {
  return apiWith(
    'POST',
    channelsPath,
    fx.as('admin'),
    {
      name: nextName('smtp'),
      type: 'email',
      config: { smtpHost, from: 'a@example.com', to: ['b@example.com'] },
    },
    workerEnv,
  );
}

function expectRefused(res: { status: number; body: unknown }, label: string, why: string) {
  expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(400);
  const body = res.body as { code: string; message: string };
  expect(body.code, label).toBe('target_not_allowed');
  expect(body.message, label).toContain(why);
}

describe('attack 3: private targets in every spelling', () => {
  it('refuses each spelling as a webhook URL with target_not_allowed naming why', async () => {
    for (const [host, why] of refusedHosts)
      expectRefused(await createWebhook(`http://${host}/hook`), host, why);
    for (const name of refusedNames)
      expectRefused(await createWebhook(`http://${name}/hook`), name, 'reserved name');
  });

  it('refuses userinfo and port tricks that end at a private host', async () => {
    for (const url of [
      'http://hooks.example.com@127.0.0.1/x',
      'http://hooks.example.com:443@[::ffff:7f00:1]/x',
      'http://127.0.0.1:8080/x',
      'https://[::ffff:127.0.0.1]:443/x',
    ])
      expectRefused(await createWebhook(url), url, 'loopback');
  });

  it('refuses each spelling as an SMTP host with target_not_allowed naming why', async () => {
    for (const [host, why] of refusedHosts) {
      if (host.includes('%')) continue; // not a host name an SMTP field takes (see below)
      expectRefused(await createSmtp(asSmtpHost(host)), `smtp ${host}`, why);
      if (host.startsWith('['))
        expectRefused(await createSmtp(host), `smtp bracketed ${host}`, why);
    }
    for (const name of refusedNames)
      expectRefused(await createSmtp(name), `smtp ${name}`, 'reserved name');
  });

  it('refuses SMTP host values that are not a bare host', async () => {
    for (const smtpHost of [
      'smtp.example.com@127.0.0.1',
      '127.0.0.1:25',
      'smtp.example.com/x',
      'smtp.example.com\\@127.0.0.1',
      '127%2e0%2e0%2e1',
      'smtp example.com',
      '',
    ]) {
      const res = await createSmtp(smtpHost);
      expect(res.status, smtpHost).toBe(400);
    }
  });

  it('refuses every URL field of every channel type', async () => {
    const target = 'http://[::ffff:7f00:1]/x';
    const configs: [string, Record<string, unknown>][] = [
      ['slack', { webhookUrl: target }],
      ['slack', { token: 't', channel: '#c', apiUrl: target }],
      ['dingtalk', { webhook: target }],
      ['feishu', { webhook: target }],
      ['wecom', { webhook: target }],
      ['wecom', { corpId: 'c', agentId: 1, secret: 's', apiUrl: target }],
      ['discord', { webhookUrl: target }],
      ['telegram', { botToken: 'b', chatId: '1', apiUrl: target }],
      ['email', { apiUrl: target, apiToken: 't', from: 'a@example.com', to: ['b@example.com'] }],
    ];
    for (const [type, config] of configs) {
      const res = await apiWith(
        'POST',
        channelsPath,
        fx.as('admin'),
        { name: nextName(type), type, config },
        strictEnv(),
      );
      expectRefused(res, `${type} ${JSON.stringify(config)}`, 'loopback');
    }
  });

  it('refuses a private target on update too', async () => {
    const created = await createWebhook('https://hooks.example.com/a');
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    const res = await apiWith(
      'PUT',
      `${channelsPath}/${id}`,
      fx.as('admin'),
      { config: { url: 'http://2130706433/x' } },
      strictEnv(),
    );
    expectRefused(res, 'update', 'loopback');
  });

  it('accepts public hosts (names are not resolved; only what they spell is judged)', async () => {
    for (const url of publicUrls) {
      const res = await createWebhook(url);
      expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBe(201);
    }
    for (const host of ['smtp.example.com', '8.8.8.8', '2606:4700:4700::1111', 'SMTP.Example.com.'])
      expect((await createSmtp(host)).status, host).toBe(201);
  });
});

describe('attack 3: ALLOW_PRIVATE_WEBHOOKS never opens cloud metadata', () => {
  it('still refuses metadata addresses, in every spelling, with the flag on', async () => {
    for (const [host, why] of refusedHosts.filter(([, w]) => w === 'metadata')) {
      expectRefused(await createWebhook(`http://${host}/latest`, devEnv()), host, why);
      expectRefused(await createSmtp(asSmtpHost(host), devEnv()), `smtp ${host}`, why);
    }
  });

  it('allows loopback and private targets with the flag on (development)', async () => {
    for (const url of ['http://127.0.0.1:9/hook', 'http://localhost:9/hook', 'http://10.0.0.1/x'])
      expect((await createWebhook(url, devEnv())).status, url).toBe(201);
    expect((await createSmtp('127.0.0.1', devEnv())).status).toBe(201);
  });

  it('ALLOW_PRIVATE_IDP_HOSTS does not open metadata for identity providers either', async () => {
    // The workers pool runs with ALLOW_PRIVATE_IDP_HOSTS=true (its slapd is on loopback).
    for (const host of ['169.254.169.254', '0xa9fea9fe', '::ffff:a9fe:a9fe', '100.100.100.200'])
      await expect(sealProviderConfig(env, 'ldap', ldapConfig({ host })), host).rejects.toThrow(
        /metadata/,
      );
    await expect(
      sealProviderConfig(env, 'ldap', ldapConfig({ host: '127.0.0.1' })),
    ).resolves.toBeDefined();
  });
});

describe('attack 3: delivery re-checks stored targets', () => {
  /** A channel stored as the unfixed edge would have stored it (no create-time check). */
  async function storedChannel(url: string): Promise<string> {
    const row = await insertChannel(createDb(env.DB), {
      owner: 'platform',
      name: nextName('stored'),
      type: 'webhook',
      settings: { format: 'alertmanager' },
      secrets: await encryptSecret(env.SECRETS_KEY, JSON.stringify({ url })),
      createdBy: 'admin',
    });
    if (!row) throw new Error('insert failed');
    return row.id;
  }

  const message = (channelId: string) =>
    deliveryMessage(channelId, webhookPayload([firingAlert()]));

  it('never delivers to a refused stored target and records a permanent failure', async () => {
    const prefix = uniquePrefix('ssrf-stored');
    const port = new URL(inject('notifySink')).port;
    const id = await storedChannel(`http://[::ffff:7f00:1]:${port}${prefix}/hook`);
    const msg = message(id);
    const result = await consume([msg], strictEnv());
    expect(await sinkRecords(prefix)).toHaveLength(0);
    expect(result.explicitAcks).toEqual(['m0']);
    expect(result.retryMessages).toEqual([]);
    const row = await historyOf(fx.as('admin'), msg.notificationId);
    expect(row).toMatchObject({ status: 'failed', error: expect.stringContaining('loopback') });
  });

  it('never delivers to a stored metadata target, even with ALLOW_PRIVATE_WEBHOOKS', async () => {
    const id = await storedChannel('http://0xa9fea9fe/latest/meta-data/');
    const msg = message(id);
    const result = await consume([msg], devEnv());
    expect(result.explicitAcks).toEqual(['m0']);
    const row = await historyOf(fx.as('admin'), msg.notificationId);
    expect(row).toMatchObject({ status: 'failed', error: expect.stringContaining('metadata') });
  });

  it('the test-send endpoint refuses a stored private target without sending', async () => {
    const prefix = uniquePrefix('ssrf-test-send');
    const id = await storedChannel(sinkUrl(`${prefix}/hook`));
    const res = await api('POST', `${channelsPath}/${id}/test`, fx.as('admin'));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      delivered: false,
      error: expect.stringContaining('loopback'),
    });
    expect(await sinkRecords(prefix)).toHaveLength(0);
  });

  it('does not follow a redirect, so a public target cannot bounce a delivery inward', async () => {
    const prefix = uniquePrefix('ssrf-redirect');
    const landing = sinkUrl(`${prefix}/landed`);
    const res = await apiWith('POST', channelsPath, fx.as('admin'), {
      name: nextName('redirect'),
      type: 'webhook',
      config: {
        url: sinkUrl(`${prefix}/redirect/hook?to=${encodeURIComponent(landing)}`),
        bearerToken: 'REDIRECT-SECRET',
      },
    });
    expect(res.status).toBe(201);
    const msg = message((res.body as { id: string }).id);
    const result = await consume([msg]);
    expect(result.retryMessages).toHaveLength(1);
    const records = await sinkRecords(prefix);
    expect(records.map((r) => r.path)).toEqual([`${prefix}/redirect/hook`]);
    expect((await historyOf(fx.as('admin'), msg.notificationId))?.error).toContain('HTTP 30');
  });
});
