import { beforeAll, describe, expect, it } from 'vitest';
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
 * Issue #16: a refusal no retry can change (HTTP 4xx but 408/429; a
 * provider's code for bad credentials, an unknown robot or chat, a refused
 * payload) fails after the first attempt and says so in the history;
 * transient ones (5xx, 408, 429, rate-limit codes) keep backing off. Every
 * case goes through the real queue consumer to the loopback sink over HTTP.
 */

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const { channel } = channelMaker(() => fx.as('admin'), 'perm-');
const payload = webhookPayload([firingAlert()]);

interface Case {
  name: string;
  type: string;
  /** The channel config, given the sink path that answers as the provider would. */
  config: (base: string) => Record<string, unknown>;
  status: number;
  body: unknown;
  /** What the history's error must contain. */
  says: string;
}

/** Delivers one notification to a channel whose endpoint answers `status` with `body`. */
async function deliverTo(c: Case) {
  const prefix = uniquePrefix(c.name.replace(/\W+/g, '-'));
  const id = await channel(
    c.type,
    c.config(sinkUrl(`${prefix}${answerSegment(c.status, c.body)}`)),
  );
  const msg = deliveryMessage(id, payload);
  const result = await runConsumer([msg]);
  return {
    result,
    row: await historyRow(fx.as('admin'), msg.notificationId),
    requests: await sinkRecords(prefix),
  };
}

const webhook = (status: number, body: unknown, says = `HTTP ${status}`): Case => ({
  name: `webhook-${status}`,
  type: 'webhook',
  config: (base) => ({ url: `${base}/hook` }),
  status,
  body,
  says,
});
const dingtalk = (errcode: number, errmsg: string): Case => ({
  name: `dingtalk-${errcode}`,
  type: 'dingtalk',
  config: (base) => ({ webhook: `${base}/robot/send?access_token=t`, secret: 'SEC1' }),
  status: 200,
  body: { errcode, errmsg },
  says: `errcode ${errcode}`,
});
const wecom = (errcode: number, errmsg: string): Case => ({
  name: `wecom-${errcode}`,
  type: 'wecom',
  config: (base) => ({ webhook: `${base}/cgi-bin/webhook/send?key=k` }),
  status: 200,
  body: { errcode, errmsg },
  says: `errcode ${errcode}`,
});
const feishu = (code: number, msg: string): Case => ({
  name: `feishu-${code}`,
  type: 'feishu',
  config: (base) => ({ webhook: `${base}/open-apis/bot/v2/hook/x`, secret: 's' }),
  status: 200,
  body: { code, msg, data: {} },
  says: `code ${code}`,
});
const slackApi = (error: string): Case => ({
  name: `slack-${error}`,
  type: 'slack',
  config: (base) => ({ token: 'xoxb-1', channel: '#ops', apiUrl: base }),
  status: 200,
  body: { ok: false, error },
  says: error,
});
const telegram = (status: number, description: string): Case => ({
  name: `telegram-${status}`,
  type: 'telegram',
  config: (base) => ({ botToken: '1:A', chatId: '-1', apiUrl: base }),
  status,
  body: { ok: false, error_code: status, description },
  says: description,
});
const discord = (status: number, body: unknown): Case => ({
  name: `discord-${status}`,
  type: 'discord',
  config: (base) => ({ webhookUrl: `${base}/api/webhooks/1/x` }),
  status,
  body,
  says: `HTTP ${status}`,
});
const wecomApp = (errcode: number, errmsg: string): Case => ({
  name: `wecom-app-${errcode}`,
  type: 'wecom',
  // gettoken itself is refused: the answer segment sits in the API base.
  config: (base) => ({ corpId: `corp-${errcode}`, agentId: 1, secret: 's', apiUrl: base }),
  status: 200,
  body: { errcode, errmsg },
  says: `gettoken failed: ${errcode}`,
});

const permanent: Case[] = [
  webhook(400, { error: 'bad payload' }),
  webhook(401, { error: 'unauthorized' }),
  webhook(403, { error: 'forbidden' }),
  webhook(404, { error: 'no such hook' }),
  webhook(410, { error: 'gone' }),
  webhook(422, { error: 'unprocessable' }),
  dingtalk(310000, 'sign not match'),
  dingtalk(300001, 'token is not exist'),
  dingtalk(400102, 'robot stopped'),
  wecom(93000, 'invalid webhook url'),
  feishu(19021, 'sign match fail or timestamp is not within one hour from current time'),
  feishu(19024, 'Key Words Not Found'),
  feishu(9499, 'Bad Request'),
  slackApi('invalid_auth'),
  slackApi('channel_not_found'),
  telegram(400, 'Bad Request: chat not found'),
  telegram(401, 'Unauthorized'),
  discord(404, { message: 'Unknown Webhook', code: 10015 }),
  wecomApp(40013, 'invalid corpid'),
];

const transient: Case[] = [
  webhook(408, { error: 'timeout' }),
  webhook(429, { error: 'slow down' }),
  webhook(500, { error: 'boom' }),
  webhook(502, { error: 'bad gateway' }),
  webhook(503, { error: 'unavailable' }),
  dingtalk(130101, 'send too fast, exceed 20 times per minute'),
  dingtalk(-1, 'system busy'),
  wecom(45009, 'api freq out of limit'),
  feishu(11232, 'frequency limited'),
  slackApi('ratelimited'),
  telegram(429, 'Too Many Requests: retry after 5'),
  discord(429, { message: 'You are being rate limited.', retry_after: 1 }),
  wecomApp(-1, 'system busy'),
];

describe('permanent refusals stop after the first attempt', () => {
  it.each(permanent.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result, row, requests } = await deliverTo(c);
    // Acked: never handed back to the queue for nine more tries.
    expect(result.retryMessages).toHaveLength(0);
    expect(result.explicitAcks).toEqual(['m0']);
    expect(requests).toHaveLength(1);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, permanent: true });
    expect(row?.error).toContain(c.says);
  });
});

describe('transient refusals keep backing off', () => {
  it.each(transient.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { result, row } = await deliverTo(c);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    expect(row).toMatchObject({ status: 'retrying', attempts: 1 });
    expect(row?.permanent).toBeUndefined();
    expect(row?.error).toContain(c.says);
  });
});

describe('a permanent refusal', () => {
  it('names the provider, its code and message, and what it means', async () => {
    const { row } = await deliverTo(dingtalk(310000, 'keywords not in content'));
    expect(row?.error).toBe(
      "DingTalk errcode 310000: keywords not in content (the robot's security settings refused it: signature, keywords or IP allow-list)",
    );
  });

  it('is reported by the test-send endpoint as permanent', async () => {
    const prefix = uniquePrefix('perm-test-send');
    const id = await channel('feishu', {
      webhook: sinkUrl(`${prefix}${answerSegment(200, { code: 19022, msg: 'Ip Not Allowed' })}/h`),
    });
    const res = await apiWith('POST', `/api/v1/notification/channels/${id}/test`, fx.as('admin'));
    expect(res.body).toMatchObject({
      delivered: false,
      permanent: true,
      error: expect.stringContaining('code 19022: Ip Not Allowed'),
    });
  });
});
