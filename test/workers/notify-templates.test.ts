import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { DeliveryMessage, WebhookAlert, WebhookPayload } from '../../functions/alerting/route';
import worker from '../../functions/index';
import {
  composeMessage,
  linesFor,
  presentationOf,
  titleFor,
} from '../../functions/notify/templates/compose';
import { fitMessage, MAX_PARTS, sizeOf } from '../../functions/notify/templates/fit';
import { type Fixture, seedFixture } from './support/fixture';
import {
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

const alert = (overrides: Partial<WebhookAlert> = {}): WebhookAlert =>
  firingAlert({
    labels: {
      alertname: 'HighCPU',
      cluster: 'east',
      workspace: 'alpha',
      namespace: 'web',
      pod: 'web-1',
      severity: 'critical',
    },
    annotations: { summary: 'CPU above 90%', runbook: 'https://runbooks/cpu' },
    generatorURL: 'http://prometheus/graph',
    ...overrides,
  });

const payloadOf = (alerts: WebhookAlert[]): WebhookPayload =>
  webhookPayload(alerts, {
    commonLabels: { alertname: 'HighCPU', cluster: 'east', workspace: 'alpha', namespace: 'web' },
  });

describe('default messages in the four console languages', () => {
  const payload = payloadOf([alert()]);
  const cases = {
    en: {
      title: '[FIRING:1] HighCPU (cluster east, workspace alpha, namespace web)',
      line: 'FIRING [critical] CPU above 90% (cluster east, workspace alpha, namespace web, pod web-1) — source: http://prometheus/graph',
    },
    zh: {
      title: '[告警中:1] HighCPU（集群 east，企业空间 alpha，项目 web）',
      line: '告警中 [critical] CPU above 90%（集群 east，企业空间 alpha，项目 web，容器组 web-1） — 来源: http://prometheus/graph',
    },
    'zh-TW': {
      title: '[告警中:1] HighCPU（叢集 east，企業空間 alpha，專案 web）',
      line: '告警中 [critical] CPU above 90%（叢集 east，企業空間 alpha，專案 web，容器組 web-1） — 來源: http://prometheus/graph',
    },
    es: {
      title: '[ACTIVA:1] HighCPU (clúster east, espacio de trabajo alpha, proyecto web)',
      line: 'ACTIVA [critical] CPU above 90% (clúster east, espacio de trabajo alpha, proyecto web, pod web-1) — origen: http://prometheus/graph',
    },
  } as const;
  for (const [language, expected] of Object.entries(cases)) {
    it(`${language}: title, severity, cluster, workspace, namespace, summary and link`, () => {
      const how = presentationOf({ language });
      expect(titleFor(payload, how)).toBe(expected.title);
      expect(linesFor(payload, how)).toEqual([expected.line]);
    });
  }

  it('resolved notifications and left-out alerts are worded in the language too', () => {
    const resolved = {
      ...payloadOf([alert({ status: 'resolved' })]),
      status: 'resolved' as const,
      truncatedAlerts: 3,
    };
    const zh = presentationOf({ language: 'zh' });
    expect(titleFor(resolved, zh)).toMatch(/^\[已恢复\] HighCPU/);
    expect(linesFor(resolved, zh).at(-1)).toBe('……另有 3 条');
    const es = presentationOf({ language: 'es' });
    expect(linesFor(resolved, es)[0]).toMatch(/^RESUELTA /);
    // An unknown language falls back to English rather than failing a delivery.
    expect(titleFor(resolved, presentationOf({ language: 'xx' }))).toMatch(/^\[RESOLVED\]/);
  });

  it('channel templates fill {{ placeholders }} from the alert, labels.* and annotations.*', () => {
    const how = presentationOf({
      language: 'zh',
      titleTemplate: '{{ status }} {{alertname}} @ {{cluster}}/{{namespace}} ({{count}})',
      textTemplate: '{{severity}}|{{labels.pod}}|{{annotations.runbook}}|{{nope}}|{{ link }}',
    });
    expect(titleFor(payload, how)).toBe('告警中 HighCPU @ east/web (1)');
    expect(linesFor(payload, how)).toEqual([
      'critical|web-1|https://runbooks/cpu||http://prometheus/graph',
    ]);
  });
});

describe('size limits: truncate or split', () => {
  const lines = Array.from({ length: 120 }, (_, i) => `告警 line ${i} ${'x'.repeat(40)}`);

  it('truncates to the limit on a character boundary with the marker', () => {
    const [only, ...rest] = fitMessage(
      'title',
      lines,
      { max: 2048, unit: 'bytes' },
      'truncate',
      '…(truncated)',
    );
    expect(rest).toEqual([]);
    expect(sizeOf(only ?? '', 'bytes')).toBeLessThanOrEqual(2048);
    expect(only).toMatch(/…\(truncated\)$/);
  });

  it('splits into parts within the limit, each with the title and (i/n), keeping every line whole', () => {
    const parts = fitMessage(
      '[FIRING:120] HighCPU',
      lines,
      { max: 2000, unit: 'chars' },
      'split',
      '…',
    );
    expect(parts.length).toBeGreaterThan(1);
    parts.forEach((part, i) => {
      expect(sizeOf(part, 'chars')).toBeLessThanOrEqual(2000);
      expect(part.startsWith(`[FIRING:120] HighCPU (${i + 1}/${parts.length})\n`)).toBe(true);
    });
    const carried = parts.flatMap((p) => p.split('\n').slice(1));
    expect(carried).toEqual(lines);
  });

  it('stops at MAX_PARTS messages and marks the cut', () => {
    const many = Array.from({ length: 2000 }, (_, i) => `line ${i} ${'y'.repeat(60)}`);
    const parts = fitMessage('t', many, { max: 1000, unit: 'chars' }, 'split', '…(truncated)');
    expect(parts).toHaveLength(MAX_PARTS);
    expect(parts.at(-1)).toMatch(/…\(truncated\)$/);
    for (const p of parts) expect(sizeOf(p, 'chars')).toBeLessThanOrEqual(1000);
  });

  it('measures the markup the channel adds (DingTalk markdown) before cutting', () => {
    const payload = payloadOf(
      Array.from({ length: 400 }, (_, i) =>
        alert({
          labels: { alertname: 'HighCPU', pod: `p-${i}` },
          annotations: { summary: '中文摘要'.repeat(10) },
        }),
      ),
    );
    const { parts } = composeMessage(
      payload,
      { language: 'zh' },
      { max: 19_000, unit: 'bytes' },
      {
        title: (t) => `### ${t}`,
        line: (l) => `- ${l}`,
      },
    );
    expect(parts).toHaveLength(1);
    expect(sizeOf(parts[0] ?? '', 'bytes')).toBeLessThanOrEqual(19_000);
    expect(parts[0]).toMatch(/^### \[告警中:400\]/);
    expect(parts[0]).toMatch(/（已截断）$/);
  });
});

const { create: createChannel, channel } = channelMaker(() => fx.as('admin'), 'tpl-');

async function deliver(channelId: string, payload: WebhookPayload) {
  const body = deliveryMessage(channelId, payload);
  const batch = createMessageBatch<DeliveryMessage>('notifications', [
    { id: 'm0', timestamp: new Date(), attempts: 1, body },
  ]);
  const ctx = createExecutionContext();
  await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, devEnv(), ctx);
  return getQueueResult(batch, ctx);
}

describe('channel contracts with languages, templates and split messages', () => {
  const big = payloadOf(
    Array.from({ length: 80 }, (_, i) =>
      alert({
        labels: { alertname: 'HighCPU', pod: `pod-${i}`, severity: 'warning' },
        annotations: { summary: `负载过高 ${i} — CPU far too high` },
      }),
    ),
  );

  it('Discord splits a long notification into messages of at most 2000 characters, every alert in one of them', async () => {
    const prefix = uniquePrefix('tpl-discord');
    const id = await channel('discord', {
      webhookUrl: sinkUrl(`${prefix}/d`),
      overflow: 'split',
      language: 'zh-TW',
    });
    expect((await deliver(id, big)).explicitAcks).toEqual(['m0']);
    const contents = (await sinkRecords(prefix)).map(
      (r) => (JSON.parse(r.body) as { content: string }).content,
    );
    expect(contents.length).toBeGreaterThan(1);
    for (const c of contents) {
      expect([...c].length).toBeLessThanOrEqual(2000);
      expect(c).toMatch(
        /^\[告警中:80\] HighCPU（叢集 east，企業空間 alpha，專案 web） \(\d+\/\d+\)/,
      );
    }
    for (let i = 0; i < 80; i++)
      expect(contents.some((c) => c.includes(`容器組 pod-${i}）`))).toBe(true);
  });

  it('Telegram splits at 4096 characters; WeCom splits at 4096 bytes of UTF-8', async () => {
    const prefix = uniquePrefix('tpl-im');
    const tg = await channel('telegram', {
      botToken: '1:A',
      chatId: '7',
      apiUrl: sinkUrl(`${prefix}/tg`),
      overflow: 'split',
    });
    const wecom = await channel('wecom', {
      webhook: sinkUrl(`${prefix}/wecom`),
      overflow: 'split',
      language: 'zh',
    });
    await deliver(tg, big);
    await deliver(wecom, big);
    const records = await sinkRecords(prefix);
    const texts = records
      .filter((r) => r.path.includes('/tg/'))
      .map((r) => (JSON.parse(r.body) as { text: string }).text);
    const wecoms = records
      .filter((r) => r.path.endsWith('/wecom'))
      .map((r) => (JSON.parse(r.body) as { markdown: { content: string } }).markdown.content);
    expect(texts.length).toBeGreaterThan(1);
    for (const t of texts) expect([...t].length).toBeLessThanOrEqual(4096);
    expect(wecoms.length).toBeGreaterThan(1);
    for (const w of wecoms) expect(new TextEncoder().encode(w).length).toBeLessThanOrEqual(4096);
    expect(wecoms.join('\n')).toContain('项目 web');
  });

  it('the webhook template format carries the channel language and templates', async () => {
    const prefix = uniquePrefix('tpl-hook');
    const id = await channel('webhook', {
      url: sinkUrl(`${prefix}/hook`),
      format: 'template',
      language: 'es',
      textTemplate: '{{status}}: {{labels.pod}}',
    });
    await deliver(id, payloadOf([alert()]));
    const [req] = await sinkRecords(prefix);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      title: '[ACTIVA:1] HighCPU (clúster east, espacio de trabajo alpha, proyecto web)',
      text: 'ACTIVA: web-1',
      status: 'firing',
    });
  });

  it('refuses an unknown language or overflow mode with a 400 naming the field', async () => {
    for (const config of [
      { webhookUrl: sinkUrl('/x'), language: 'fr' },
      { webhookUrl: sinkUrl('/x'), overflow: 'wrap' },
      { webhookUrl: sinkUrl('/x'), titleTemplate: '' },
    ]) {
      const res = await createChannel('discord', config);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({
        code: expect.any(String),
        message: expect.any(String),
        requestId: expect.any(String),
      });
    }
  });
});
