import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type Fixture, seedFixture } from '../support/fixture';
import {
  apiWith,
  channelMaker,
  deliveryMessage,
  firingAlert,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from '../support/notify';
import { consume } from './notify-queue';

/**
 * Issue #12, attack 8: a PUT that changed a channel's URL, SMTP host or API
 * URL kept the stored secrets, which the next delivery then handed to the
 * new target. A target change must come with the secrets again (or drop
 * them explicitly with null); otherwise 400 `secrets_required_for_new_target`.
 */

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const channelsPath = '/api/v1/notification/channels';
const { channel } = channelMaker(() => fx.as('admin'), 'secrets-');
const put = (id: string, config: Record<string, unknown>) =>
  apiWith('PUT', `${channelsPath}/${id}`, fx.as('admin'), { config });
const deliver = (id: string) => consume([deliveryMessage(id, webhookPayload([firingAlert()]))]);

const OLD = 'OLD-SECRET-1f2e';

/** Each record the sink received under `prefix`, as one string (path, headers, body). */
const seenBy = async (prefix: string) =>
  (await sinkRecords(prefix)).map((r) => JSON.stringify(r)).join('\n');

function expectSecretsRequired(res: { status: number; body: unknown }, fields: string[]) {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  const body = res.body as { code: string; message: string; fields?: { path: string }[] };
  expect(body.code).toBe('secrets_required_for_new_target');
  for (const field of fields) expect(body.message).toContain(field);
  expect(body.fields?.map((f) => f.path).sort()).toEqual(fields.map((f) => `config.${f}`).sort());
}

interface Case {
  type: string;
  create: (base: string) => Record<string, unknown>;
  /** The update that points the channel elsewhere, without its secrets. */
  retarget: (base: string) => Record<string, unknown>;
  secrets: string[];
  /** The secrets supplied again (new values). */
  resupply: Record<string, unknown>;
}

const cases: Case[] = [
  {
    type: 'webhook',
    create: (base) => ({ url: `${base}/hook`, bearerToken: OLD }),
    retarget: (base) => ({ url: `${base}/hook` }),
    secrets: ['bearerToken'],
    resupply: { bearerToken: 'NEW-TOKEN' },
  },
  {
    type: 'webhook',
    create: (base) => ({ url: `${base}/hook`, username: 'u', password: OLD }),
    retarget: (base) => ({ url: `${base}/hook`, username: 'u' }),
    secrets: ['password'],
    resupply: { password: 'NEW-PW' },
  },
  {
    type: 'dingtalk',
    create: (base) => ({ webhook: `${base}/robot/send?access_token=a`, secret: OLD }),
    retarget: (base) => ({ webhook: `${base}/robot/send?access_token=b` }),
    secrets: ['secret'],
    resupply: { secret: 'NEW-SEC' },
  },
  {
    type: 'feishu',
    create: (base) => ({ webhook: `${base}/bot`, secret: OLD }),
    retarget: (base) => ({ webhook: `${base}/bot` }),
    secrets: ['secret'],
    resupply: { secret: 'NEW-SEC' },
  },
  {
    type: 'slack',
    create: (base) => ({ token: OLD, channel: '#ops', apiUrl: `${base}/api` }),
    retarget: (base) => ({ channel: '#ops', apiUrl: `${base}/api` }),
    secrets: ['token'],
    resupply: { token: 'NEW-BOT' },
  },
  {
    type: 'telegram',
    create: (base) => ({ botToken: OLD, chatId: '42', apiUrl: `${base}/tg` }),
    retarget: (base) => ({ chatId: '42', apiUrl: `${base}/tg` }),
    secrets: ['botToken'],
    resupply: { botToken: 'NEW-BOT' },
  },
  {
    type: 'wecom',
    create: (base) => ({ corpId: 'corp', agentId: 1, secret: OLD, apiUrl: `${base}/qy` }),
    retarget: (base) => ({ corpId: 'corp', agentId: 1, apiUrl: `${base}/qy` }),
    secrets: ['secret'],
    resupply: { secret: 'NEW-APP' },
  },
  {
    type: 'email',
    create: (base) => ({
      apiUrl: `${base}/mail`,
      apiToken: OLD,
      from: 'a@example.com',
      to: ['b@example.com'],
    }),
    retarget: (base) => ({ apiUrl: `${base}/mail`, from: 'a@example.com', to: ['b@example.com'] }),
    secrets: ['apiToken'],
    resupply: { apiToken: 'NEW-MAIL' },
  },
];

describe('attack 8: a new target never receives the old secrets', () => {
  for (const c of cases)
    it(`${c.type} (${c.secrets.join(', ')}): refused without the secrets, then only the new ones reach the new target`, async () => {
      const old = uniquePrefix(`old-${c.type}`);
      const moved = uniquePrefix(`new-${c.type}`);
      const id = await channel(c.type, c.create(sinkUrl(old)));
      expectSecretsRequired(await put(id, c.retarget(sinkUrl(moved))), c.secrets);
      await deliver(id);
      expect(await seenBy(moved)).toBe('');
      const updated = await put(id, { ...c.retarget(sinkUrl(moved)), ...c.resupply });
      expect(updated.status, JSON.stringify(updated.body)).toBe(200);
      await deliver(id);
      const seen = await seenBy(moved);
      expect(seen).not.toBe('');
      expect(seen).not.toContain(OLD);
    });

  it('an explicit null drops a secret with the target change', async () => {
    const moved = uniquePrefix('drop');
    const id = await channel('webhook', { url: sinkUrl('/drop-old/hook'), bearerToken: OLD });
    const res = await put(id, { url: sinkUrl(`${moved}/hook`), bearerToken: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect((res.body as { secretFields: string[] }).secretFields).toEqual(['url']);
    await deliver(id);
    const [req] = await sinkRecords(moved);
    expect(req?.headers.authorization).toBeUndefined();
  });

  it('a default API host counts as a target: setting apiUrl needs the token again', async () => {
    const id = await channel('telegram', { botToken: OLD, chatId: '42' });
    expectSecretsRequired(await put(id, { chatId: '42', apiUrl: sinkUrl('/tg-new') }), [
      'botToken',
    ]);
  });

  it('SMTP: a new host or port needs the password again; the same server keeps it', async () => {
    const port = inject('notifySmtpPort');
    const smtp = {
      smtpHost: '127.0.0.1',
      smtpPort: port,
      startTls: false,
      from: 'a@example.com',
      to: ['b@example.com'],
      username: 'mailer',
    };
    const id = await channel('email', { ...smtp, password: OLD });
    expectSecretsRequired(await put(id, { ...smtp, smtpHost: 'localhost' }), ['password']);
    expectSecretsRequired(await put(id, { ...smtp, smtpPort: port + 1 }), ['password']);
    const same = await put(id, { ...smtp, smtpHost: '127.0.0.1.' });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    expect((same.body as { secretFields: string[] }).secretFields).toEqual(['password']);
    const moved = await put(id, { ...smtp, smtpHost: 'localhost', password: 'NEW-PW' });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
  });

  it('an update that keeps the target keeps the secrets', async () => {
    const url = sinkUrl('/keep/hook');
    const id = await channel('webhook', { url, bearerToken: OLD });
    const omitted = await put(id, { format: 'template' });
    expect((omitted.body as { secretFields: string[] }).secretFields).toEqual([
      'bearerToken',
      'url',
    ]);
    const same = await put(id, { url });
    expect(same.status).toBe(200);
    expect((same.body as { secretFields: string[] }).secretFields).toEqual(['bearerToken', 'url']);
  });
});
