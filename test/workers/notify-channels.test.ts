import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { notificationDeliveries } from '../../db/schema';
import { housekeepingTasks } from '../../functions/housekeeping';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';
import { apiWith } from './support/notify';

let fx: Fixture;
beforeAll(async () => {
  fx = await seedFixture();
});

const channelsPath = '/api/v1/notification/channels';
const receiversPath = '/api/v1/notification/receivers';
const publicHook = 'https://hooks.example.com/services/T000/B000/XXXXSECRET';

interface ChannelView {
  id: string;
  name: string;
  config: Record<string, unknown>;
  secretFields: string[];
  owner: string;
}

describe('channels', () => {
  it('stores secrets encrypted and never returns them', async () => {
    const res = await api('POST', channelsPath, fx.as('admin'), {
      name: 'ops-hook',
      type: 'webhook',
      config: { url: publicHook, bearerToken: 'tok-123' },
    });
    expect(res.status).toBe(201);
    const view = res.body as ChannelView;
    expect(view).toMatchObject({
      name: 'ops-hook',
      owner: 'platform',
      config: { format: 'alertmanager' },
    });
    expect(view.secretFields).toEqual(['bearerToken', 'url']);
    expect(JSON.stringify(view)).not.toContain('SECRET');
    expect(JSON.stringify(view)).not.toContain('tok-123');
    const stored = await env.DB.prepare(
      'SELECT settings, secrets FROM notification_channels WHERE id = ?',
    )
      .bind(view.id)
      .first<{ settings: string; secrets: string }>();
    expect(stored?.secrets).toMatch(/^v1\./);
    expect(`${stored?.settings}${stored?.secrets}`).not.toContain('SECRET');
    const got = await api('GET', `${channelsPath}/${view.id}`, fx.as('admin'));
    expect(JSON.stringify(got.body)).not.toContain('SECRET');
  });

  it('keeps write-only fields a PUT leaves out', async () => {
    const created = (
      await api('POST', channelsPath, fx.as('admin'), {
        name: 'ding',
        type: 'dingtalk',
        config: {
          webhook: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
          secret: 'SEC1',
        },
      })
    ).body as ChannelView;
    const updated = await api('PUT', `${channelsPath}/${created.id}`, fx.as('admin'), {
      config: {},
    });
    expect(updated.status).toBe(200);
    expect((updated.body as ChannelView).secretFields).toEqual(['secret', 'webhook']);
  });

  it('refuses private, loopback, link-local and metadata targets unless ALLOW_PRIVATE_WEBHOOKS', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hook',
      'http://localhost/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://10.1.2.3/x',
      'http://[::1]/x',
      'http://metadata.google.internal/x',
    ]) {
      const res = await api('POST', channelsPath, fx.as('admin'), {
        name: 'private',
        type: 'webhook',
        config: { url },
      });
      expect(res.status, url).toBe(400);
      expect(JSON.stringify(res.body)).toContain('ALLOW_PRIVATE_WEBHOOKS');
    }
    const allowed = await apiWith('POST', channelsPath, fx.as('admin'), {
      name: 'loopback',
      type: 'webhook',
      config: { url: 'http://127.0.0.1:9/hook' },
    });
    expect(allowed.status).toBe(201);
  });

  it('validates the config per type and the body', async () => {
    const bad: unknown[] = [
      { name: 'x', type: 'webhook', config: {} },
      { name: 'x', type: 'webhook', config: { url: 'ftp://example.com' } },
      { name: 'x', type: 'webhook', config: { url: publicHook, extra: 1 } },
      { name: 'x', type: 'slack', config: { token: 't' } },
      { name: 'x', type: 'pager', config: {} },
      { name: 'X_bad', type: 'wecom', config: { webhook: publicHook } },
      { name: 'x', type: 'wecom', config: { webhook: publicHook }, unknown: true },
      { name: 'x', type: 'email', config: { smtpHost: 'smtp.example.com', from: 'no', to: [] } },
      '{',
    ];
    for (const body of bad)
      expect(
        (await api('POST', channelsPath, fx.as('admin'), body)).status,
        JSON.stringify(body),
      ).toBe(400);
    expect(
      (
        await api('POST', channelsPath, fx.as('admin'), {
          name: 'ops-hook',
          type: 'discord',
          config: { webhookUrl: publicHook },
        })
      ).status,
    ).toBe(409);
    const anonymous = await fetchWorker(channelsPath, {
      headers: { 'content-type': 'application/json' },
    });
    expect(anonymous.status).toBe(401);
  });

  it('is tenant-scoped: workspace channels are managed and seen only in their workspace', async () => {
    const created = await api('POST', channelsPath, fx.as('alpha-admin'), {
      name: 'alpha-slack',
      type: 'slack',
      workspace: 'alpha',
      config: { webhookUrl: publicHook },
    });
    expect(created.status).toBe(201);
    const id = (created.body as ChannelView).id;
    expect(
      (
        await api('POST', channelsPath, fx.as('alpha-admin'), {
          name: 'glob',
          type: 'slack',
          config: { webhookUrl: publicHook },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api('POST', channelsPath, fx.as('alpha-admin'), {
          name: 'b',
          type: 'slack',
          workspace: 'beta',
          config: { webhookUrl: publicHook },
        })
      ).status,
    ).toBe(404);
    expect((await api('GET', `${channelsPath}/${id}`, fx.as('beta-admin'))).status).toBe(404);
    expect((await api('DELETE', `${channelsPath}/${id}`, fx.as('beta-admin'))).status).toBe(404);
    const names = async (persona: Parameters<Fixture['as']>[0]) =>
      ((await api('GET', channelsPath, fx.as(persona))).body as { items: ChannelView[] }).items.map(
        (c) => c.name,
      );
    expect(await names('alpha-viewer')).toEqual(['alpha-slack']);
    expect(await names('beta-admin')).toEqual([]);
    expect(await names('admin')).toContain('alpha-slack');
    expect(
      (await api('PUT', `${channelsPath}/${id}`, fx.as('alpha-viewer'), { config: {} })).status,
    ).toBe(404);
  });
});

describe('receivers', () => {
  it('references channels of its own owner by name and blocks deleting a channel in use', async () => {
    const channel = (
      await api('POST', channelsPath, fx.as('alpha-admin'), {
        name: 'alpha-wecom',
        type: 'wecom',
        workspace: 'alpha',
        config: { webhook: publicHook },
      })
    ).body as ChannelView;
    const res = await api('POST', receiversPath, fx.as('alpha-admin'), {
      name: 'alpha-oncall',
      workspace: 'alpha',
      channels: ['alpha-wecom'],
      matchers: [{ name: 'severity', op: '=~', value: 'critical|warning' }],
      groupBy: ['alertname', 'namespace'],
      groupWaitSeconds: 10,
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'alpha-oncall',
      channels: ['alpha-wecom'],
      groupWaitSeconds: 10,
      groupIntervalSeconds: 300,
      repeatIntervalSeconds: 14400,
      sendResolved: true,
    });
    expect(
      (await api('DELETE', `${channelsPath}/${channel.id}`, fx.as('alpha-admin'))).status,
    ).toBe(409);
    // A platform channel is not visible to a workspace receiver.
    expect(
      (
        await api('POST', receiversPath, fx.as('alpha-admin'), {
          name: 'r2',
          workspace: 'alpha',
          channels: ['ops-hook'],
        })
      ).status,
    ).toBe(400);
    const bad: unknown[] = [
      { name: 'r3', workspace: 'alpha', channels: [] },
      {
        name: 'r3',
        workspace: 'alpha',
        channels: ['alpha-wecom'],
        matchers: [{ name: 'a', op: '=~', value: '(' }],
      },
      {
        name: 'r3',
        workspace: 'alpha',
        channels: ['alpha-wecom'],
        matchers: [{ name: 'a', op: '~', value: 'x' }],
      },
      { name: 'r3', workspace: 'alpha', channels: ['alpha-wecom'], groupWaitSeconds: -1 },
      { name: 'r3', workspace: 'alpha', channels: ['alpha-wecom'], surprise: 1 },
    ];
    for (const body of bad)
      expect(
        (await api('POST', receiversPath, fx.as('alpha-admin'), body)).status,
        JSON.stringify(body),
      ).toBe(400);
    expect(
      (
        await api('POST', receiversPath, fx.as('beta-admin'), {
          name: 'x',
          workspace: 'alpha',
          channels: ['alpha-wecom'],
        })
      ).status,
    ).toBe(404);
    const listed = (await api('GET', receiversPath, fx.as('beta-admin'))).body as {
      items: unknown[];
    };
    expect(listed.items).toEqual([]);
  });
});

describe('history', () => {
  it('housekeeping forgets deliveries older than 30 days', async () => {
    const db = createDb(env.DB);
    const row = {
      notificationId: 'n-old',
      channelId: 'c',
      channelName: 'c',
      receiverId: 'r',
      receiverName: 'r',
      owner: 'platform',
      status: 'delivered' as const,
      attempts: 1,
      alerts: 1,
    };
    const now = Date.now();
    await db.insert(notificationDeliveries).values([
      { ...row, createdAt: new Date(now - 31 * 86_400_000), updatedAt: new Date(now) },
      {
        ...row,
        notificationId: 'n-new',
        createdAt: new Date(now - 29 * 86_400_000),
        updatedAt: new Date(now),
      },
    ]);
    await housekeepingTasks['prune-notification-history']?.(env, new Date(now));
    const left = await env.DB.prepare(
      "SELECT notification_id AS id FROM notification_deliveries WHERE notification_id LIKE 'n-%'",
    ).all<{ id: string }>();
    expect(left.results.map((r) => r.id)).toEqual(['n-new']);
  });

  it('lists nothing for a tenant without deliveries and rejects a bad cursor', async () => {
    const res = await api('GET', '/api/v1/notification/history', fx.as('beta-admin'));
    expect(res).toMatchObject({ status: 200, body: { items: [] } });
    expect(
      (await api('GET', '/api/v1/notification/history?cursor=%%%', fx.as('admin'))).status,
    ).toBe(400);
    expect(
      (await api('GET', '/api/v1/notification/history?limit=500', fx.as('admin'))).status,
    ).toBe(400);
  });
});
