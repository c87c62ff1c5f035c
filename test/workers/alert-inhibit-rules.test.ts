import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, type Fixture, seedFixture } from './support/fixture';

let fx: Fixture;
const base = '/api/v1/notification/inhibit-rules';

interface RuleView {
  id: string;
  name: string;
  builtIn: boolean;
  sourceMatchers: { name: string; value: string; op: string }[];
  equal: string[];
}

interface GettableAlert {
  labels: Record<string, string>;
  fingerprint: string;
  status: { state: string; inhibitedBy: string[] };
}

const inAnHour = () => new Date(Date.now() + 3600_000).toISOString();

/** Posts firing alerts as the platform admin and returns the listed state of each, by alertname. */
async function postAndList(alerts: Record<string, string>[]): Promise<Map<string, GettableAlert>> {
  const res = await api(
    'POST',
    '/api/v2/alerts',
    fx.as('admin'),
    alerts.map((labels) => ({ labels, startsAt: new Date().toISOString(), endsAt: inAnHour() })),
  );
  expect(res.status).toBe(200);
  const listed = (await api('GET', '/api/v2/alerts?inhibited=true', fx.as('admin')))
    .body as GettableAlert[];
  const names = new Set(alerts.map((a) => a.alertname));
  return new Map(
    listed
      .filter((a) => names.has(a.labels.alertname ?? ''))
      .map((a) => [a.labels.alertname ?? '', a]),
  );
}

beforeAll(async () => {
  fx = await seedFixture();
});

describe('inhibition rules', () => {
  it('lists the built-in default (critical mutes warning, equal alertname and namespace) while none is stored, and it applies', async () => {
    const res = await api('GET', base, fx.as('admin'));
    expect(res.status).toBe(200);
    const body = res.body as { items: RuleView[]; usingDefault: boolean };
    expect(body.usingDefault).toBe(true);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({
      builtIn: true,
      sourceMatchers: [{ name: 'severity', op: '=', value: 'critical' }],
      equal: ['alertname', 'namespace'],
    });

    await postAndList([
      {
        alertname: 'DefaultDiskFull',
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'critical',
      },
      {
        alertname: 'DefaultDiskFull',
        cluster: 'east',
        namespace: 'alpha-web',
        severity: 'warning',
      },
    ]);
    // Same alertname for both: the map holds the later one listed; look both up by severity instead.
    const listed = (await api('GET', '/api/v2/alerts?inhibited=true', fx.as('admin')))
      .body as GettableAlert[];
    const of = (severity: string) =>
      listed.find(
        (a) => a.labels.alertname === 'DefaultDiskFull' && a.labels.severity === severity,
      );
    expect(of('warning')?.status.state).toBe('suppressed');
    expect(of('warning')?.status.inhibitedBy).toEqual([of('critical')?.fingerprint]);
    expect(of('critical')?.status.state).toBe('active');
  });

  it('refuses everyone but platform admins, hides single rules from them, and validates input', async () => {
    const rule = {
      name: 'tenant-try',
      sourceMatchers: [{ name: 'severity', op: '=', value: 'critical' }],
      targetMatchers: [{ name: 'severity', op: '=', value: 'info' }],
    };
    const denied = await api('POST', base, fx.as('east-admin'), rule);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    expect((await api('GET', base, fx.as('alpha-admin'))).status).toBe(403);

    const bad = await api('POST', base, fx.as('admin'), {
      ...rule,
      targetMatchers: [{ name: 'severity', op: '=~', value: '(?=a)' }],
    });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      code: expect.any(String),
      message: expect.any(String),
      requestId: expect.any(String),
    });
    expect((await api('POST', base, fx.as('admin'), { ...rule, targetMatchers: [] })).status).toBe(
      400,
    );
    expect(
      (await api('POST', base, fx.as('admin'), { ...rule, equal: ['not a label'] })).status,
    ).toBe(400);
    expect((await api('GET', `${base}/nope`, fx.as('admin'))).status).toBe(404);
  });

  it('stored rules replace the default, can be changed and deleted, and every change is audited', async () => {
    const created = await api('POST', base, fx.as('admin'), {
      name: 'disconnect-mutes-cluster',
      sourceMatchers: [{ name: 'alertname', op: '=', value: 'ClusterDisconnected' }],
      targetMatchers: [{ name: 'severity', op: '=~', value: 'warning|info' }],
      equal: ['cluster'],
    });
    expect(created.status).toBe(201);
    const rule = created.body as RuleView;
    expect(rule).toMatchObject({
      name: 'disconnect-mutes-cluster',
      builtIn: false,
      equal: ['cluster'],
    });
    expect(
      (
        await api('POST', base, fx.as('admin'), {
          name: 'disconnect-mutes-cluster',
          sourceMatchers: [{ name: 'a', op: '=', value: 'b' }],
          targetMatchers: [{ name: 'a', op: '=', value: 'c' }],
        })
      ).status,
    ).toBe(409);
    const list = (await api('GET', base, fx.as('admin'))).body as {
      items: RuleView[];
      usingDefault: boolean;
    };
    expect(list.usingDefault).toBe(false);
    expect(list.items.map((r) => r.name)).toEqual(['disconnect-mutes-cluster']);

    const state = await postAndList([
      { alertname: 'ClusterDisconnected', cluster: 'west', severity: 'critical' },
      { alertname: 'WestPodPending', cluster: 'west', namespace: 'beta-db', severity: 'warning' },
      { alertname: 'EastPodPending', cluster: 'east', namespace: 'beta-web', severity: 'warning' },
      { alertname: 'CustomDiskFull', cluster: 'west', namespace: 'beta-db', severity: 'critical' },
      { alertname: 'CustomDiskFull2', cluster: 'west', namespace: 'beta-db', severity: 'info' },
    ]);
    const source = state.get('ClusterDisconnected');
    expect(state.get('WestPodPending')?.status).toMatchObject({
      state: 'suppressed',
      inhibitedBy: [source?.fingerprint],
    });
    expect(state.get('CustomDiskFull2')?.status.state).toBe('suppressed');
    // Another cluster: `equal: [cluster]` keeps it out of the rule's reach.
    expect(state.get('EastPodPending')?.status.state).toBe('active');

    // The default no longer applies: a critical no longer mutes its same-named warning.
    const listed = async () =>
      (await api('GET', '/api/v2/alerts?inhibited=true', fx.as('admin'))).body as GettableAlert[];
    const defaultPair = (await listed()).filter((a) => a.labels.alertname === 'DefaultDiskFull');
    expect(defaultPair.map((a) => a.status.state)).toEqual(['active', 'active']);

    const changed = await api('PUT', `${base}/${rule.id}`, fx.as('admin'), {
      name: 'disconnect-mutes-cluster',
      sourceMatchers: [{ name: 'alertname', op: '=', value: 'ClusterDisconnected' }],
      targetMatchers: [{ name: 'severity', op: '=', value: 'info' }],
      equal: ['cluster'],
    });
    expect(changed.status).toBe(200);
    const after = await listed();
    expect(after.find((a) => a.labels.alertname === 'WestPodPending')?.status.state).toBe('active');
    expect(after.find((a) => a.labels.alertname === 'CustomDiskFull2')?.status.state).toBe(
      'suppressed',
    );
    const missing = await api('PUT', `${base}/missing`, fx.as('admin'), {
      name: 'other',
      sourceMatchers: [{ name: 'a', op: '=', value: 'b' }],
      targetMatchers: [{ name: 'a', op: '=', value: 'c' }],
    });
    expect(missing.status).toBe(404);

    expect((await api('DELETE', `${base}/${rule.id}`, fx.as('admin'))).status).toBe(204);
    expect((await api('DELETE', `${base}/${rule.id}`, fx.as('admin'))).status).toBe(404);
    expect(
      ((await api('GET', base, fx.as('admin'))).body as { usingDefault: boolean }).usingDefault,
    ).toBe(true);

    const audited = await env.DB.prepare(
      "SELECT verb, name, outcome FROM audit_events WHERE resource = 'inhibit-rules' ORDER BY id",
    ).all<{ verb: string; name: string; outcome: string }>();
    expect(audited.results.filter((e) => e.outcome === 'success')).toEqual([
      { verb: 'create', name: 'disconnect-mutes-cluster', outcome: 'success' },
      { verb: 'update', name: 'disconnect-mutes-cluster', outcome: 'success' },
      { verb: 'delete', name: 'disconnect-mutes-cluster', outcome: 'success' },
    ]);
  });
});
