import { beforeAll, describe, expect, inject, it } from 'vitest';
import { smtpTls } from '../../functions/notify/senders/smtp';
import type { SmtpMessage } from '../support/smtp-servers';
import { type Fixture, seedFixture } from './support/fixture';
import {
  apiWith,
  channelMaker,
  deliveryMessage,
  firingAlert,
  historyRow,
  runConsumer,
  webhookPayload,
} from './support/notify';

/**
 * Issue #16: email against a real SMTP server with TLS (the `smtp-server`
 * package on loopback, CA-signed certificate trusted by workerd through
 * SSL_CERT_FILE): STARTTLS and implicit TLS deliver with AUTH, a server
 * that never greets hits the deadline, a certificate for another name is
 * refused.
 */

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const smtp = inject('smtp');
const { channel, create } = channelMaker(() => fx.as('admin'), 'smtp-tls-');
const payload = webhookPayload(
  [
    firingAlert({
      labels: { alertname: 'DiskFull', cluster: 'east', severity: 'warning' },
      annotations: { summary: 'Disk 95% full — ünïcode ok' },
    }),
  ],
  { commonLabels: { alertname: 'DiskFull', cluster: 'east' } },
);

const base = {
  smtpHost: smtp.host,
  from: 'alerts@edgetower.test',
  to: ['ops@example.com', 'oncall@example.com'],
  username: smtp.username,
  password: smtp.password,
};

async function send(config: Record<string, unknown>) {
  const id = await channel('email', config);
  const msg = deliveryMessage(id, payload);
  const started = Date.now();
  const result = await runConsumer([msg]);
  return {
    msg,
    result,
    ms: Date.now() - started,
    row: await historyRow(fx.as('admin'), msg.notificationId),
  };
}

async function received(notificationId: string): Promise<SmtpMessage | undefined> {
  const all = (await (await fetch(smtp.messagesUrl)).json()) as SmtpMessage[];
  return all.find((m) => m.data.includes(`<${notificationId}@edgetower>`));
}

/** Header value of `name` in a raw message. */
const header = (data: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'mi').exec(data.split('\r\n\r\n')[0] ?? '')?.[1];

const bodyText = (data: string) => {
  const body = data.slice(data.indexOf('\r\n\r\n') + 4).replace(/\r\n/g, '');
  return new TextDecoder().decode(Uint8Array.from(atob(body), (c) => c.charCodeAt(0)));
};

describe('delivery over TLS to a real SMTP server', () => {
  it('STARTTLS (587 style): upgrades, authenticates over TLS, and the message arrives with its headers and body', async () => {
    const { msg, result, row } = await send({
      ...base,
      smtpPort: smtp.starttlsPort,
      tls: 'starttls',
    });
    expect(result.explicitAcks, row?.error).toEqual(['m0']);
    const mail = await received(msg.notificationId);
    expect(mail).toMatchObject({
      server: 'starttls',
      secure: true,
      user: smtp.username,
      from: 'alerts@edgetower.test',
      to: ['ops@example.com', 'oncall@example.com'],
    });
    const data = mail?.data ?? '';
    expect(header(data, 'From')).toBe('alerts@edgetower.test');
    expect(header(data, 'To')).toBe('ops@example.com, oncall@example.com');
    expect(header(data, 'Subject')).toBe('[FIRING:1] DiskFull (cluster east)');
    expect(header(data, 'Message-ID')).toBe(`<${msg.notificationId}@edgetower>`);
    expect(header(data, 'Content-Type')).toBe('text/plain; charset=utf-8');
    expect(bodyText(data)).toContain('Disk 95% full — ünïcode ok');
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('implicit TLS (465 style): TLS from the first byte, then AUTH and the message', async () => {
    const { msg, result, row } = await send({
      ...base,
      smtpPort: smtp.implicitPort,
      tls: 'implicit',
    });
    expect(result.explicitAcks, row?.error).toEqual(['m0']);
    expect(await received(msg.notificationId)).toMatchObject({
      server: 'implicit',
      secure: true,
      user: smtp.username,
    });
  });

  it('a wrong password is the server’s permanent 535: failed at once, not retried', async () => {
    const { result, row } = await send({
      ...base,
      password: 'wrong',
      smtpPort: smtp.implicitPort,
      tls: 'implicit',
    });
    expect(result.retryMessages).toHaveLength(0);
    expect(row).toMatchObject({ status: 'failed', permanent: true });
    expect(row?.error).toContain('SMTP AUTH: expected 235, got "535');
  });
});

describe('deadlines: a server that stalls cannot hold a delivery', () => {
  it('a server that accepts and never greets fails the greeting step within the deadline', async () => {
    const { result, row, ms } = await send({
      ...base,
      smtpPort: smtp.silentPort,
      tls: 'starttls',
      timeoutSeconds: 1,
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(row?.status).toBe('retrying');
    expect(row?.error).toBe(
      `SMTP greeting with ${smtp.host}:${smtp.silentPort}: no answer within 1 s`,
    );
    expect(ms).toBeLessThan(5000);
  });

  it('with implicit TLS, a server that never answers the handshake fails the TLS step', async () => {
    const { result, row, ms } = await send({
      ...base,
      smtpPort: smtp.silentPort,
      tls: 'implicit',
      timeoutSeconds: 1,
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(row?.error).toBe(
      `SMTP connect and TLS handshake with ${smtp.host}:${smtp.silentPort}: no answer within 2 s`,
    );
    expect(ms).toBeLessThan(6000);
  });
});

describe('certificates', () => {
  it('STARTTLS to a server whose certificate names another host is refused before AUTH or the message', async () => {
    const { msg, result, row } = await send({
      ...base,
      smtpPort: smtp.wrongNameStarttlsPort,
      tls: 'starttls',
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(row?.error).toContain('SMTP TLS handshake and EHLO');
    expect(row?.error).toContain('TLS failed');
    expect(await received(msg.notificationId)).toBeUndefined();
  });

  it('implicit TLS to a server whose certificate names another host is refused', async () => {
    const { msg, result, row } = await send({
      ...base,
      smtpPort: smtp.wrongNameImplicitPort,
      tls: 'implicit',
    });
    expect(result.retryMessages).toHaveLength(1);
    expect(row?.error).toContain('SMTP connect and TLS handshake');
    expect(row?.error).toContain(`certificate trusted and issued for ${smtp.host}`);
    expect(await received(msg.notificationId)).toBeUndefined();
  });
});

describe('TLS mode', () => {
  it('follows the port unless tls says otherwise; startTls: false still means none', () => {
    expect(smtpTls({ smtpPort: 465 })).toBe('implicit');
    expect(smtpTls({ smtpPort: 587 })).toBe('starttls');
    expect(smtpTls({})).toBe('starttls');
    expect(smtpTls({ smtpPort: 25, startTls: true })).toBe('starttls');
    expect(smtpTls({ smtpPort: 465, tls: 'starttls' })).toBe('starttls');
    expect(smtpTls({ smtpPort: 2465, tls: 'implicit' })).toBe('implicit');
    expect(smtpTls({ smtpPort: 465, startTls: false })).toBe('none');
  });

  it('is validated: one of implicit/starttls/none, not beside the older startTls', async () => {
    const bad = await create('email', { ...base, smtpPort: 465, tls: 'ssl' });
    expect(bad.status).toBe(400);
    const both = await create('email', { ...base, tls: 'implicit', startTls: true });
    expect(both.status).toBe(400);
    const ok = await create('email', { ...base, smtpPort: 465, timeoutSeconds: 20 });
    expect(ok.status).toBe(201);
    const shown = await apiWith(
      'GET',
      `/api/v1/notification/channels/${(ok.body as { id: string }).id}`,
      fx.as('admin'),
    );
    expect((shown.body as { config: Record<string, unknown> }).config).toMatchObject({
      smtpPort: 465,
      timeoutSeconds: 20,
    });
  });
});
