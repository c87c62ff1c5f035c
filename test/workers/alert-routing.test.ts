import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeliveryMessage } from '../../functions/alerting/route';
import { clusterShard } from '../../functions/alerting/shards';
import worker from '../../functions/index';
import { api, type Fixture, seedFixture } from './support/fixture';
import { apiWith, devEnv, sinkRecords, sinkUrl, uniquePrefix } from './support/notify';

let fx: Fixture;
let prefix: string;

async function setUp(
  persona: Parameters<Fixture['as']>[0],
  name: string,
  owner: Record<string, string>,
  matchers: unknown[] = [],
) {
  const ch = await apiWith('POST', '/api/v1/notification/channels', fx.as(persona), {
    name: `${name}-hook`,
    type: 'webhook',
    config: { url: sinkUrl(`${prefix}/${name}`) },
    ...owner,
  });
  expect(ch.status, JSON.stringify(ch.body)).toBe(201);
  const rcv = await api('POST', '/api/v1/notification/receivers', fx.as(persona), {
    name,
    channels: [`${name}-hook`],
    matchers,
    groupBy: ['alertname', 'namespace'],
    ...owner,
  });
  expect(rcv.status, JSON.stringify(rcv.body)).toBe(201);
}

beforeAll(async () => {
  fx = await seedFixture();
  prefix = uniquePrefix('routing');
  await setUp('admin', 'everything', {});
  await setUp('alpha-admin', 'alpha-team', { workspace: 'alpha' });
  await setUp('beta-admin', 'beta-critical', { workspace: 'beta' }, [
    { name: 'severity', op: '=', value: 'critical' },
  ]);
  await setUp('east-admin', 'east-ops', { cluster: 'east' });
  const posted = await api('POST', '/api/v2/alerts', fx.as('admin'), [
    {
      labels: {
        alertname: 'PodCrash',
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'warning',
      },
    },
    {
      labels: {
        alertname: 'PodCrash',
        cluster: 'east',
        namespace: 'beta-web',
        severity: 'critical',
      },
    },
    {
      labels: { alertname: 'PodCrash', cluster: 'west', namespace: 'beta-db', severity: 'warning' },
    },
    { labels: { alertname: 'NodeDown', cluster: 'east', severity: 'critical' } },
    // A namespace name that exists in another cluster must not borrow that placement.
    { labels: { alertname: 'Stray', cluster: 'west', namespace: 'alpha-web' } },
  ]);
  expect(posted.status).toBe(200);
});

afterEach(() => vi.restoreAllMocks());

describe('tenant-aware routing', () => {
  it('workspace receivers get their namespaces, cluster receivers their cluster, platform receivers all', async () => {
    const alerts = (await api('GET', '/api/v2/alerts', fx.as('admin'))).body as {
      labels: Record<string, string>;
      receivers: { name: string }[];
    }[];
    const routes = Object.fromEntries(
      alerts.map((a) => [
        `${a.labels.alertname}@${a.labels.cluster}/${a.labels.namespace ?? '-'}`,
        a.receivers.map((r) => r.name).sort(),
      ]),
    );
    expect(routes).toEqual({
      'PodCrash@east/alpha-web': ['alpha-team', 'east-ops', 'everything'],
      'PodCrash@east/beta-web': ['beta-critical', 'east-ops', 'everything'],
      'PodCrash@west/beta-db': ['everything'],
      'NodeDown@east/-': ['east-ops', 'everything'],
      'Stray@west/alpha-web': ['everything'],
    });
  });

  it('flows from intake through the group alarm and the queue to each tenant channel', async () => {
    const sent: DeliveryMessage[] = [];
    vi.spyOn(env.NOTIFICATIONS, 'sendBatch').mockImplementation(async (batch) => {
      for (const m of batch) sent.push(m.body);
      return { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
    });
    const later = Date.now() + 31_000;
    const east = env.ALERT_GROUPS.getByName(clusterShard(fx.ids.clusters.east));
    const made = await east.flush(later);
    // east: PodCrash/alpha-web ×3 receivers, PodCrash/beta-web ×3, NodeDown ×2.
    expect(made).toBe(8);
    const batch = createMessageBatch<DeliveryMessage>(
      'notifications',
      sent.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })),
    );
    const ctx = createExecutionContext();
    await (worker as ExportedHandler<Cloudflare.Env>).queue?.(batch, devEnv(), ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(8);
    const seen = async (name: string) =>
      (await sinkRecords(`${prefix}/${name}`))
        .map((r) => JSON.parse(r.body) as { alerts: { labels: Record<string, string> }[] })
        .flatMap((p) => p.alerts.map((a) => `${a.labels.alertname}/${a.labels.namespace ?? '-'}`))
        .sort();
    expect(await seen('alpha-team')).toEqual(['PodCrash/alpha-web']);
    expect(await seen('beta-critical')).toEqual(['PodCrash/beta-web']);
    expect(await seen('east-ops')).toEqual([
      'NodeDown/-',
      'PodCrash/alpha-web',
      'PodCrash/beta-web',
    ]);
    const history = (await api('GET', '/api/v1/notification/history', fx.as('alpha-admin')))
      .body as {
      items: { receiver: string; channel: string; status: string; alerts: number }[];
    };
    expect(history.items).toEqual([
      expect.objectContaining({
        receiver: 'alpha-team',
        channel: 'alpha-team-hook',
        status: 'delivered',
        alerts: 1,
      }),
    ]);
    const beta = (await api('GET', '/api/v1/notification/history', fx.as('beta-admin'))).body as {
      items: { receiver: string }[];
    };
    expect(beta.items.map((h) => h.receiver)).toEqual(['beta-critical']);
  });
});
