import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage } from '../../functions/alerting/route';
import worker from '../../functions/index';
import { type Fixture, seedFixture } from './support/fixture';
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

const payload = webhookPayload([
  firingAlert({
    labels: { alertname: 'HighCPU', cluster: 'east', severity: 'critical', pod: 'web-1' },
    annotations: { summary: 'CPU above 90% <for 5m> & rising' },
  }),
]);

const { create: createChannel, channel } = channelMaker(() => fx.as('admin'), 'mode-');

async function deliver(channelIds: string[]) {
  const batch = createMessageBatch<DeliveryMessage>(
    'notifications',
    channelIds.map((channelId, i) => ({
      id: `m${i}`,
      timestamp: new Date(),
      attempts: 1,
      body: deliveryMessage(channelId, payload, { notificationId: `n-${crypto.randomUUID()}` }),
    })),
  );
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, devEnv(), ctx);
  return { batch, result: await getQueueResult(batch, ctx) };
}

describe('Slack modes', () => {
  it('Block Kit through the incoming webhook and chat.postMessage: a header, escaped mrkdwn sections, the title as text', async () => {
    const prefix = uniquePrefix('slack-blocks');
    const hook = await channel('slack', {
      webhookUrl: sinkUrl(`${prefix}/hook`),
      format: 'blocks',
    });
    const bot = await channel('slack', {
      token: 'xoxb-2',
      channel: 'C0123',
      apiUrl: sinkUrl(`${prefix}/api`),
      format: 'blocks',
      language: 'zh',
    });
    expect((await deliver([hook, bot])).result.explicitAcks.sort()).toEqual(['m0', 'm1']);
    const byPath = new Map(
      (await sinkRecords(prefix)).map((r) => [r.path.slice(prefix.length), r]),
    );
    expect(JSON.parse(byPath.get('/hook')?.body ?? '')).toEqual({
      text: '[FIRING:1] HighCPU (cluster east)',
      blocks: [
        { type: 'header', text: { type: 'plain_text', text: '[FIRING:1] HighCPU (cluster east)' } },
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: 'FIRING [critical] CPU above 90% &lt;for 5m&gt; &amp; rising (cluster east, pod web-1)',
          },
        },
      ],
    });
    const api = byPath.get('/api/chat.postMessage');
    expect(api?.headers.authorization).toBe('Bearer xoxb-2');
    const body = JSON.parse(api?.body ?? '') as {
      channel: string;
      text: string;
      blocks: { type: string }[];
    };
    expect(body.channel).toBe('C0123');
    expect(body.text).toBe('[告警中:1] HighCPU（集群 east）');
    expect(body.blocks.map((b) => b.type)).toEqual(['header', 'section']);
  });
});

describe('WeCom app', () => {
  it('gettoken with corpId and secret once, then message/send with the cached token to the configured recipients', async () => {
    const prefix = uniquePrefix('wecom-app');
    const id = await channel('wecom', {
      corpId: 'corp-a',
      agentId: 1000002,
      secret: 'app-secret',
      toUser: 'alice|bob',
      toParty: '2',
      apiUrl: sinkUrl(`${prefix}/qy`),
    });
    expect((await deliver([id, id, id])).result.explicitAcks.sort()).toEqual(['m0', 'm1', 'm2']);
    const records = await sinkRecords(prefix);
    const tokenCalls = records.filter((r) => r.path.endsWith('/cgi-bin/gettoken'));
    expect(tokenCalls).toHaveLength(1);
    expect(tokenCalls[0]?.method).toBe('GET');
    expect(tokenCalls[0]?.query).toEqual({ corpid: 'corp-a', corpsecret: 'app-secret' });
    const sends = records.filter((r) => r.path.endsWith('/cgi-bin/message/send'));
    expect(sends).toHaveLength(3);
    for (const send of sends) {
      expect(send.query.access_token).toBe('corp-a-1');
      const body = JSON.parse(send.body) as Record<string, unknown>;
      expect(body).toMatchObject({
        touser: 'alice|bob',
        toparty: '2',
        msgtype: 'markdown',
        agentid: 1000002,
        enable_duplicate_check: 1,
        markdown: { content: expect.stringContaining('[FIRING:1] HighCPU') },
      });
      expect(body.totag).toBeUndefined();
    }

    // The secret is write-only, like every credential.
    const shown = await apiWith('GET', `/api/v1/notification/channels/${id}`, fx.as('admin'));
    expect(JSON.stringify(shown.body)).not.toContain('app-secret');
    expect((shown.body as { secretFields: string[] }).secretFields).toEqual(['secret']);
  });

  it('an expired token (errcode 42001) fails the attempt, drops the cached token, and the retry fetches a new one', async () => {
    const prefix = uniquePrefix('wecom-stale');
    const id = await channel('wecom', {
      corpId: 'stale-corp',
      agentId: 7,
      secret: 's',
      apiUrl: sinkUrl(`${prefix}/qy`),
    });
    const first = await deliver([id]);
    expect(first.result.retryMessages).toHaveLength(1);
    const second = await deliver([id]);
    expect(second.result.explicitAcks).toEqual(['m0']);
    const records = await sinkRecords(prefix);
    expect(records.filter((r) => r.path.endsWith('/gettoken'))).toHaveLength(2);
    expect(
      records.filter((r) => r.path.endsWith('/message/send')).map((r) => r.query.access_token),
    ).toEqual(['stale-corp-1', 'stale-corp-2']);
    const sent = JSON.parse(records.at(-1)?.body ?? '') as { touser: string };
    expect(sent.touser).toBe('@all');
  });

  it('refuses an app config without its secret, or mixing the group bot webhook in', async () => {
    expect((await createChannel('wecom', { corpId: 'c', agentId: 1 })).status).toBe(400);
    const mixed = await createChannel('wecom', {
      corpId: 'c',
      agentId: 1,
      secret: 's',
      webhook: sinkUrl('/x'),
    });
    expect(mixed.status).toBe(400);
    expect(mixed.body).toMatchObject({ code: expect.any(String), requestId: expect.any(String) });
  });
});

describe('email through an HTTP mail API', () => {
  it('POSTs {from, to, subject, text} with the bearer token and the notification id as Idempotency-Key', async () => {
    const prefix = uniquePrefix('mail-api');
    const id = await channel('email', {
      apiUrl: sinkUrl(`${prefix}/emails`),
      apiToken: 're_test_123',
      from: 'alerts@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      language: 'es',
    });
    const { batch, result } = await deliver([id]);
    expect(result.explicitAcks).toEqual(['m0']);
    const [req] = await sinkRecords(prefix);
    expect(req?.method).toBe('POST');
    expect(req?.headers.authorization).toBe('Bearer re_test_123');
    expect(req?.headers['idempotency-key']).toBe(batch.messages[0]?.body.notificationId);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      from: 'alerts@example.com',
      to: ['ops@example.com', 'oncall@example.com'],
      subject: '[ACTIVA:1] HighCPU (clúster east)',
      text: 'ACTIVA [critical] CPU above 90% <for 5m> & rising (clúster east, pod web-1)',
    });
    const shown = await apiWith('GET', `/api/v1/notification/channels/${id}`, fx.as('admin'));
    expect(JSON.stringify(shown.body)).not.toContain('re_test_123');
  });

  it('a mail API answering an error is retried like any channel', async () => {
    const prefix = uniquePrefix('mail-api-fail');
    const id = await channel('email', {
      apiUrl: sinkUrl(`${prefix}/fail/emails`),
      apiToken: 't',
      from: 'alerts@example.com',
      to: ['ops@example.com'],
    });
    expect((await deliver([id])).result.retryMessages).toHaveLength(1);
  });
});
