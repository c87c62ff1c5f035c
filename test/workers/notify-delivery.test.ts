import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { createHmac } from 'node:crypto';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { DeliveryMessage, WebhookPayload } from '../../functions/alerting/route';
import worker from '../../functions/index';
import { NOTIFY_MAX_RETRIES } from '../../functions/notify/consumer';
import { api, type Fixture, seedFixture } from './support/fixture';
import {
  apiWith,
  channelMaker,
  deliveryMessage,
  devEnv,
  firingAlert,
  sinkRecords,
  sinkUrl,
  uniquePrefix,
  webhookPayload,
} from './support/notify';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const payload = webhookPayload(
  [
    firingAlert({
      labels: { alertname: 'HighCPU', cluster: 'east', severity: 'critical', pod: 'web-1' },
      generatorURL: 'http://prometheus/graph',
    }),
  ],
  {
    groupKey: 'ops/{"alertname":"HighCPU"}',
    commonLabels: { alertname: 'HighCPU', cluster: 'east', severity: 'critical' },
  },
);

const { channel } = channelMaker(() => fx.as('admin'), '');

const message = (channelId: string, notificationId = crypto.randomUUID()): DeliveryMessage =>
  deliveryMessage(channelId, payload, { notificationId });

/** Runs the worker's queue handler on one batch and returns the per-message outcome. */
async function consume(
  bodies: DeliveryMessage[],
  attempts = 1,
  workerEnv: Cloudflare.Env = devEnv(),
) {
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    bodies.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })),
  );
  // getQueueResult does not report retry delays: watch the calls themselves.
  const delays: (number | undefined)[] = [];
  for (const m of batch.messages) {
    const retry = m.retry.bind(m);
    vi.spyOn(m, 'retry').mockImplementation((options) => {
      delays.push(options?.delaySeconds);
      retry(options);
    });
  }
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, workerEnv, ctx);
  return { ...(await getQueueResult(batch, ctx)), delays };
}

const history = async () =>
  (
    (await api('GET', '/api/v1/notification/history?limit=200', fx.as('admin'))).body as {
      items: {
        notificationId: string;
        status: string;
        attempts: number;
        error?: string;
        channel: string;
      }[];
    }
  ).items;

describe('channel contracts (loopback receivers)', () => {
  it('webhook: Alertmanager v4 JSON, bearer auth and an idempotency key', async () => {
    const prefix = uniquePrefix('webhook');
    const id = await channel('webhook', { url: sinkUrl(`${prefix}/hook`), bearerToken: 'tok-1' });
    const msg = message(id);
    const result = await consume([msg]);
    expect(result.explicitAcks).toEqual(['m0']);
    const [req] = await sinkRecords(prefix);
    expect(req?.method).toBe('POST');
    expect(req?.headers.authorization).toBe('Bearer tok-1');
    expect(req?.headers['idempotency-key']).toBe(msg.notificationId);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(payload);
  });

  it('webhook with basic auth and the template format', async () => {
    const prefix = uniquePrefix('basic');
    const id = await channel('webhook', {
      url: sinkUrl(`${prefix}/hook`),
      format: 'template',
      username: 'u',
      password: 'p',
    });
    await consume([message(id)]);
    const [req] = await sinkRecords(prefix);
    expect(req?.headers.authorization).toBe(`Basic ${btoa('u:p')}`);
    const body = JSON.parse(req?.body ?? '') as { title: string; text: string; status: string };
    expect(body.title).toBe('[FIRING:1] HighCPU (cluster east)');
    expect(body.text).toContain('CPU above 90%');
  });

  it('DingTalk: markdown, timestamp and sign = base64 HMAC-SHA256("<ts>\\n<secret>")', async () => {
    const prefix = uniquePrefix('ding');
    const id = await channel('dingtalk', {
      webhook: sinkUrl(`${prefix}/robot/send?access_token=abc`),
      secret: 'SECabc',
    });
    const before = Date.now();
    await consume([message(id)]);
    const [req] = await sinkRecords(prefix);
    expect(req?.query.access_token).toBe('abc');
    const timestamp = req?.query.timestamp ?? '';
    expect(Number(timestamp)).toBeGreaterThanOrEqual(before);
    const expected = createHmac('sha256', 'SECabc').update(`${timestamp}\nSECabc`).digest('base64');
    expect(req?.query.sign).toBe(expected);
    const body = JSON.parse(req?.body ?? '') as {
      msgtype: string;
      markdown: { title: string; text: string };
    };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe('[FIRING:1] HighCPU (cluster east)');
    expect(body.markdown.text).toContain('CPU above 90%');
  });

  it('Feishu: timestamp in seconds and sign = base64 HMAC keyed by "<ts>\\n<secret>"', async () => {
    const prefix = uniquePrefix('feishu');
    const id = await channel('feishu', {
      webhook: sinkUrl(`${prefix}/hook/xyz`),
      secret: 'fs-secret',
    });
    await consume([message(id)]);
    const [req] = await sinkRecords(prefix);
    const body = JSON.parse(req?.body ?? '') as {
      timestamp: string;
      sign: string;
      msg_type: string;
      content: { text: string };
    };
    expect(Math.abs(Number(body.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    const expected = createHmac('sha256', `${body.timestamp}\nfs-secret`)
      .update('')
      .digest('base64');
    expect(body.sign).toBe(expected);
    expect(body.msg_type).toBe('text');
    expect(body.content.text).toContain('HighCPU');
  });

  it('WeCom, Discord, Telegram and Slack (webhook and chat.postMessage) shapes', async () => {
    const prefix = uniquePrefix('im');
    const ids = [
      await channel('wecom', { webhook: sinkUrl(`${prefix}/wecom?key=k`) }),
      await channel('discord', { webhookUrl: sinkUrl(`${prefix}/discord`) }),
      await channel('telegram', {
        botToken: '123:ABC',
        chatId: '-100',
        apiUrl: sinkUrl(`${prefix}/tg`),
      }),
      await channel('slack', { webhookUrl: sinkUrl(`${prefix}/slack-hook`) }),
      await channel('slack', {
        token: 'xoxb-1',
        channel: '#ops',
        apiUrl: sinkUrl(`${prefix}/slack-api`),
      }),
    ];
    const result = await consume(ids.map((id) => message(id)));
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    const byPath = new Map(
      (await sinkRecords(prefix)).map((r) => [r.path.slice(prefix.length), r]),
    );
    const wecom = JSON.parse(byPath.get('/wecom')?.body ?? '') as {
      msgtype: string;
      markdown: { content: string };
    };
    expect(wecom.msgtype).toBe('markdown');
    expect(wecom.markdown.content).toContain('[FIRING:1] HighCPU');
    expect(JSON.parse(byPath.get('/discord')?.body ?? '')).toEqual({
      content: expect.stringContaining('HighCPU'),
    });
    expect(JSON.parse(byPath.get('/tg/bot123:ABC/sendMessage')?.body ?? '')).toEqual({
      chat_id: '-100',
      text: expect.stringContaining('HighCPU'),
    });
    expect(JSON.parse(byPath.get('/slack-hook')?.body ?? '')).toEqual({
      text: expect.stringContaining('CPU above 90%'),
    });
    const api = byPath.get('/slack-api/chat.postMessage');
    expect(api?.headers.authorization).toBe('Bearer xoxb-1');
    expect(JSON.parse(api?.body ?? '')).toEqual({
      channel: '#ops',
      text: expect.stringContaining('HighCPU'),
    });
  });

  it('WeCom messages are cut to 4096 bytes', async () => {
    const prefix = uniquePrefix('wecom-big');
    const id = await channel('wecom', { webhook: sinkUrl(`${prefix}/wecom`) });
    const many = Array.from({ length: 200 }, (_, i) => ({
      ...payload.alerts[0],
      labels: { alertname: 'HighCPU', pod: `pod-${i}` },
      annotations: { summary: `中文摘要 ${i} — the CPU of this pod is far too high` },
    })) as WebhookPayload['alerts'];
    await consume([{ ...message(id), payload: { ...payload, alerts: many } }]);
    const [req] = await sinkRecords(prefix);
    const content = (JSON.parse(req?.body ?? '') as { markdown: { content: string } }).markdown
      .content;
    expect(new TextEncoder().encode(content).length).toBeLessThanOrEqual(4096);
    expect(content).toContain('(truncated)');
  });

  it('POST /channels/:id/test sends a test message now', async () => {
    const prefix = uniquePrefix('test-msg');
    const id = await channel('discord', { webhookUrl: sinkUrl(`${prefix}/d`) });
    const res = await apiWith('POST', `/api/v1/notification/channels/${id}/test`, fx.as('admin'));
    expect(res).toMatchObject({ status: 200, body: { delivered: true } });
    const [req] = await sinkRecords(prefix);
    expect(req?.body).toContain('EdgetowerTest');
    const failing = await channel('discord', { webhookUrl: sinkUrl(`${prefix}/fail/d`) });
    const failed = await apiWith(
      'POST',
      `/api/v1/notification/channels/${failing}/test`,
      fx.as('admin'),
    );
    expect(failed.body).toMatchObject({
      delivered: false,
      error: expect.stringContaining('HTTP 500'),
    });
    expect(
      (await apiWith('POST', `/api/v1/notification/channels/${id}/test`, fx.as('beta-admin')))
        .status,
    ).toBe(404);
  });
});

describe('queue consumer: ack, retry, dedup, dead letter', () => {
  it('a redelivered message whose first attempt succeeded is acked without posting twice', async () => {
    const prefix = uniquePrefix('dedup');
    const id = await channel('webhook', { url: sinkUrl(`${prefix}/hook`) });
    const msg = message(id);
    expect((await consume([msg])).explicitAcks).toEqual(['m0']);
    // The ack was lost: the queue delivers the same message again.
    expect((await consume([msg], 2)).explicitAcks).toEqual(['m0']);
    expect(await sinkRecords(prefix)).toHaveLength(1);
    const row = (await history()).find((h) => h.notificationId === msg.notificationId);
    expect(row).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('a failing channel is retried with exponential backoff, recorded, and failed after the last retry', async () => {
    const prefix = uniquePrefix('failing');
    const id = await channel('webhook', { url: sinkUrl(`${prefix}/fail/hook`) });
    const msg = message(id);
    const first = await consume([msg], 1);
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toHaveLength(1);
    const d1 = first.delays[0] ?? 0;
    const fourth = await consume([msg], 4);
    const d4 = fourth.delays[0] ?? 0;
    expect(d1).toBeGreaterThanOrEqual(3);
    expect(d1).toBeLessThanOrEqual(7);
    expect(d4).toBeGreaterThanOrEqual(30);
    let row = (await history()).find((h) => h.notificationId === msg.notificationId);
    expect(row).toMatchObject({
      status: 'retrying',
      attempts: 4,
      error: expect.stringContaining('HTTP 500'),
    });
    // The last attempt: retried once more, which hands it to the dead-letter queue.
    const last = await consume([msg], NOTIFY_MAX_RETRIES + 1);
    expect(last.retryMessages).toHaveLength(1);
    row = (await history()).find((h) => h.notificationId === msg.notificationId);
    expect(row).toMatchObject({ status: 'failed', attempts: NOTIFY_MAX_RETRIES + 1 });
  });

  it('a 200 carrying an error code (DingTalk errcode) counts as a failure', async () => {
    const prefix = uniquePrefix('errcode');
    const id = await channel('dingtalk', { webhook: sinkUrl(`${prefix}/errcode/robot`) });
    const msg = message(id);
    const result = await consume([msg]);
    // 310000 (signature, keywords or IP refused) is permanent since issue #16: failed at once.
    expect(result.retryMessages).toHaveLength(0);
    expect(result.explicitAcks).toEqual(['m0']);
    const row = (await history()).find((h) => h.notificationId === msg.notificationId);
    expect(row?.status).toBe('failed');
    expect(row?.error).toContain('errcode 310000');
  });

  it('refuses at send time a target that became private (SSRF) as a permanent failure, and acks a deleted channel', async () => {
    const prefix = uniquePrefix('ssrf');
    const id = await channel('webhook', { url: sinkUrl(`${prefix}/hook`) });
    const msg = message(id);
    const result = await consume([msg], 1, { ...env, ALLOW_PRIVATE_WEBHOOKS: 'false' });
    // Retrying cannot make the target public: failed at once (issue #12), not after ten tries.
    expect(result.retryMessages).toHaveLength(0);
    expect(result.explicitAcks).toEqual(['m0']);
    expect(await sinkRecords(prefix)).toHaveLength(0);
    const row = (await history()).find((h) => h.notificationId === msg.notificationId);
    expect(row?.status).toBe('failed');
    expect(row?.error).toContain('loopback');
    const gone = message('no-such-channel');
    expect((await consume([gone])).explicitAcks).toEqual(['m0']);
    expect((await history()).find((h) => h.notificationId === gone.notificationId)?.status).toBe(
      'failed',
    );
  });

  it('acks and retries each message of a batch on its own', async () => {
    const prefix = uniquePrefix('mixed');
    const good = await channel('webhook', { url: sinkUrl(`${prefix}/ok`) });
    const bad = await channel('webhook', { url: sinkUrl(`${prefix}/fail/x`) });
    const result = await consume([message(good), message(bad), message(good)]);
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks.sort()).toEqual(['m0', 'm2']);
    expect(result.retryMessages.map((r: { msgId: string }) => r.msgId)).toEqual(['m1']);
  });
});

describe('email over SMTP (Workers TCP sockets)', () => {
  it('speaks EHLO, AUTH PLAIN, MAIL/RCPT/DATA to a loopback SMTP server', async () => {
    const port = inject('notifySmtpPort');
    const id = await channel('email', {
      smtpHost: '127.0.0.1',
      smtpPort: port,
      startTls: false,
      from: 'alerts@edgetower.test',
      to: ['ops@example.com', 'oncall@example.com'],
      username: 'mailer',
      password: 'pw',
    });
    const msg = message(id);
    expect((await consume([msg])).explicitAcks).toEqual(['m0']);
    const mail = (await (await fetch(`${inject('notifySink')}/__mail`)).json()) as {
      ehlo: string;
      auth: string;
      from: string;
      to: string[];
      data: string;
    }[];
    const sent = mail.find((m) => m.data.includes(msg.notificationId));
    expect(sent).toMatchObject({
      ehlo: 'edgetower',
      auth: btoa('\u0000mailer\u0000pw'),
      from: 'alerts@edgetower.test',
      to: ['ops@example.com', 'oncall@example.com'],
    });
    expect(sent?.data).toContain('Subject: [FIRING:1] HighCPU (cluster east)');
    const [, body = ''] = sent?.data.split('\r\n\r\n') ?? [];
    expect(
      new TextDecoder().decode(
        Uint8Array.from(atob(body.replace(/\r\n/g, '')), (c) => c.charCodeAt(0)),
      ),
    ).toContain('CPU above 90%');
  });

  it('records a refused SMTP conversation as a failure to retry', async () => {
    const id = await channel('email', {
      smtpHost: '127.0.0.1',
      smtpPort: 9,
      startTls: false,
      from: 'a@b.test',
      to: ['c@d.test'],
    });
    const msg = message(id);
    const result = await consume([msg]);
    expect(result.retryMessages).toHaveLength(1);
    expect((await history()).find((h) => h.notificationId === msg.notificationId)?.status).toBe(
      'retrying',
    );
  });
});
