import { beforeAll, describe, expect, it } from 'vitest';
import { defaultMailApiUrl } from '../../functions/notify/targets';
import { type Fixture, seedFixture } from './support/fixture';
import {
  answerSegment,
  apiWith,
  channelMaker,
  deliveryMessage,
  firingAlert,
  historyRow,
  runConsumer,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from './support/notify';

/**
 * Issue #16: the HTTP mail API names the provider whose request shape it
 * speaks (Resend, SendGrid, Mailgun, Postmark), each sent as that
 * provider documents it; checked on the wire at the loopback sink.
 */

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const { channel, create } = channelMaker(() => fx.as('admin'), 'mail-api-');
const payload = webhookPayload([firingAlert({ annotations: { summary: 'CPU above 90%' } })]);
const mail = {
  apiToken: 'key-123',
  from: 'alerts@example.com',
  to: ['ops@example.com', 'oncall@example.com'],
};
const subject = '[FIRING:1] HighCPU (cluster east)';

/** Delivers one notification through a mail channel posting under a fresh sink prefix. */
async function deliver(config: Record<string, unknown>, path = '/send') {
  const prefix = uniquePrefix(String(config.provider ?? 'default'));
  const id = await channel('email', { ...mail, ...config, apiUrl: sinkUrl(`${prefix}${path}`) });
  const msg = deliveryMessage(id, payload);
  const result = await runConsumer([msg]);
  const [request] = await sinkRecords(prefix);
  return { id, msg, result, request, row: await historyRow(fx.as('admin'), msg.notificationId) };
}

describe('each provider gets its own documented request', () => {
  it('Resend (the default): JSON {from, to, subject, text}, Bearer token, Idempotency-Key', async () => {
    const { id, msg, result, request } = await deliver({});
    expect(result.explicitAcks).toEqual(['m0']);
    expect(request?.headers.authorization).toBe('Bearer key-123');
    expect(request?.headers['idempotency-key']).toBe(msg.notificationId);
    expect(JSON.parse(request?.body ?? '')).toEqual({
      from: 'alerts@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      subject,
      text: expect.stringContaining('CPU above 90%'),
    });
    const shown = await apiWith('GET', `/api/v1/notification/channels/${id}`, fx.as('admin'));
    expect((shown.body as { config: Record<string, unknown> }).config.provider).toBe('resend');
  });

  it('SendGrid: v3 mail/send with personalizations, from object and text/plain content', async () => {
    const { msg, result, request } = await deliver({ provider: 'sendgrid' });
    expect(result.explicitAcks).toEqual(['m0']);
    expect(request?.headers.authorization).toBe('Bearer key-123');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      personalizations: [{ to: [{ email: 'ops@example.com' }, { email: 'oncall@example.com' }] }],
      from: { email: 'alerts@example.com' },
      subject,
      content: [{ type: 'text/plain', value: expect.stringContaining('CPU above 90%') }],
      custom_args: { notification_id: msg.notificationId },
    });
  });

  it('Mailgun: form fields (to repeated), basic auth api:<key>', async () => {
    const { msg, result, request } = await deliver(
      { provider: 'mailgun', domain: 'mg.example.com' },
      '/v3/mg.example.com/messages',
    );
    expect(result.explicitAcks).toEqual(['m0']);
    expect(request?.headers.authorization).toBe(`Basic ${btoa('api:key-123')}`);
    expect(request?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const form = new URLSearchParams(request?.body ?? '');
    expect(form.get('from')).toBe('alerts@example.com');
    expect(form.getAll('to')).toEqual(['ops@example.com', 'oncall@example.com']);
    expect(form.get('subject')).toBe(subject);
    expect(form.get('text')).toContain('CPU above 90%');
    expect(form.get('v:notification-id')).toBe(msg.notificationId);
  });

  it('Postmark: PascalCase JSON, To comma-separated, X-Postmark-Server-Token', async () => {
    const { msg, result, request } = await deliver({ provider: 'postmark' });
    expect(result.explicitAcks).toEqual(['m0']);
    expect(request?.headers['x-postmark-server-token']).toBe('key-123');
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.headers.accept).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      From: 'alerts@example.com',
      To: 'ops@example.com, oncall@example.com',
      Subject: subject,
      TextBody: expect.stringContaining('CPU above 90%'),
      MessageStream: 'outbound',
      Metadata: { notification_id: msg.notificationId },
    });
  });
});

describe('refusals and configuration', () => {
  it('a Postmark ErrorCode, and a provider 401, are permanent', async () => {
    const coded = await deliver(
      { provider: 'postmark' },
      `${answerSegment(200, { ErrorCode: 406, Message: 'Inactive recipient' })}/email`,
    );
    expect(coded.result.retryMessages).toHaveLength(0);
    expect(coded.row).toMatchObject({ status: 'failed', permanent: true });
    expect(coded.row?.error).toBe('Postmark ErrorCode 406: Inactive recipient');
    const unauthorized = await deliver(
      { provider: 'sendgrid' },
      `${answerSegment(401, { errors: [{ message: 'bad key' }] })}/v3/mail/send`,
    );
    expect(unauthorized.row).toMatchObject({ status: 'failed', permanent: true });
    expect(unauthorized.row?.error).toContain('HTTP 401');
  });

  it('posts to the provider’s own endpoint when no apiUrl is given', () => {
    expect(defaultMailApiUrl({})).toBe('https://api.resend.com/emails');
    expect(defaultMailApiUrl({ provider: 'sendgrid' })).toBe(
      'https://api.sendgrid.com/v3/mail/send',
    );
    expect(defaultMailApiUrl({ provider: 'postmark' })).toBe('https://api.postmarkapp.com/email');
    expect(defaultMailApiUrl({ provider: 'mailgun', domain: 'mg.example.com' })).toBe(
      'https://api.mailgun.net/v3/mg.example.com/messages',
    );
  });

  it('validates the provider; Mailgun needs its domain unless apiUrl is given', async () => {
    expect((await create('email', { ...mail, provider: 'mandrill' })).status).toBe(400);
    const noDomain = await create('email', { ...mail, provider: 'mailgun' });
    expect(noDomain.status).toBe(400);
    expect(JSON.stringify(noDomain.body)).toContain('domain');
    expect(
      (await create('email', { ...mail, provider: 'mailgun', domain: 'mg.example.com' })).status,
    ).toBe(201);
    expect((await create('email', { ...mail, provider: 'sendgrid' })).status).toBe(201);
  });
});
