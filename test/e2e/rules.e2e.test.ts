import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  registerCluster,
  signInAdmin,
  startAgentCluster,
  eventually as waitFor,
} from '../support/e2e-fleet';
import type { KubeEmulator } from '../support/kube-emulator';
import { type PrometheusServer, startPrometheus } from '../support/prometheus-server';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Alerting rules through the whole path: rules made at `wrangler dev`,
 * evaluated by a real agent process against a REAL Prometheus (scraping a
 * test exporter per namespace), alerts back through the tunnel into the
 * edge's alert path. A cluster rule fires and resolves; a namespace rule
 * sees only its namespace; an edge outage while firing loses no alert; an
 * imported rule file round-trips and is evaluated.
 */
const CLUSTER = 'e2e-rules';
let edge: WranglerDev;
let kube: KubeEmulator;
let prom: PrometheusServer;
let agent: AgentProcess;
let workDir: string;
let adminJwt: string;

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);
const post = (p: string, body: unknown) => api(p, { method: 'POST', body: JSON.stringify(body) });
const clusterRules = `/api/v1/clusters/${CLUSTER}/alerting/rules`;
const nsRules = `/api/v1/workspaces/team-a/namespaces/team-web/alerting/rules?cluster=${CLUSTER}`;

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, {
    intervalMs: 500,
    onTimeout: () => {
      console.log(agent?.output().slice(-6000));
      console.log(edge?.output().slice(-3000));
    },
  });

interface EdgeAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  status: { state: string };
}
const edgeAlerts = async (alertname: string): Promise<EdgeAlert[]> => {
  const res = await api('/api/v2/alerts');
  const all = (await res.json()) as EdgeAlert[];
  return all.filter((a) => a.labels.alertname === alertname);
};

interface RuleView {
  name: string;
  evaluations: { cluster: string; health: string; state: string; missingMetrics: string[] }[];
}
const ruleView = async (p: string): Promise<RuleView> => (await (await api(p)).json()) as RuleView;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-rules-e2e-'));
  prom = await startPrometheus({ namespaces: ['team-web', 'team-b-web', 'ops'] });
  let kubeconfig: string;
  ({ kube, kubeconfig } = await startAgentCluster(workDir));
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  const joinToken = await registerCluster(api, { name: CLUSTER });
  for (const [ws, ns] of [
    ['team-a', 'team-web'],
    ['team-b', 'team-b-web'],
  ] as const) {
    expect((await post('/api/v1/workspaces', { name: ws, clusters: [CLUSTER] })).status).toBe(201);
    expect(
      (await post(`/api/v1/workspaces/${ws}/namespaces`, { cluster: CLUSTER, name: ns })).status,
    ).toBe(201);
  }
  agent = await startAgentProcess({
    name: 'rules-agent',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
    prometheusUrl: prom.url,
  });
  await eventually(
    async () => {
      const view = (await (await api(`/api/v1/clusters/${CLUSTER}`)).json()) as { agents: number };
      return view.agents === 1 ? true : undefined;
    },
    60_000,
    'the agent to connect',
  );
  prom.exporter.set('ops', 'e2e_queue_depth', { queue: 'jobs' }, 50);
  prom.exporter.set('team-web', 'e2e_app_errors', { pod: 'web-0' }, 3);
  prom.exporter.set('team-b-web', 'e2e_app_errors', { pod: 'b-0' }, 9);
  await prom.waitForSeries('e2e_app_errors{namespace="team-b-web"}', 30_000);
}, 240_000);

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  await prom?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('alerting rules end to end', () => {
  it('a cluster rule fires into the edge alerts and resolves', async () => {
    const res = await post(clusterRules, {
      name: 'QueueTooDeep',
      expr: 'e2e_queue_depth > 10',
      interval: '10s',
      severity: 'critical',
      annotations: { summary: 'queue {{ $labels.queue }} holds {{ $value }}' },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const [firing] = await eventually(
      async () => {
        const alerts = await edgeAlerts('QueueTooDeep');
        return alerts.length ? alerts : undefined;
      },
      60_000,
      'QueueTooDeep firing at the edge',
    );
    expect(firing?.labels).toMatchObject({
      cluster: CLUSTER,
      severity: 'critical',
      queue: 'jobs',
      edgetower_rule_level: 'cluster',
    });
    expect(firing?.annotations.summary).toBe('queue jobs holds 50');
    await eventually(
      async () => {
        const view = await ruleView(`${clusterRules}/QueueTooDeep`);
        const e = view.evaluations.find((x) => x.cluster === CLUSTER);
        return e?.health === 'ok' && e.state === 'firing' ? e : undefined;
      },
      30_000,
      'QueueTooDeep health ok and firing in the rule view',
    );
    prom.exporter.remove('ops', 'e2e_queue_depth');
    await eventually(
      async () => ((await edgeAlerts('QueueTooDeep')).length === 0 ? true : undefined),
      60_000,
      'QueueTooDeep resolved at the edge',
    );
  }, 150_000);

  it('a namespace rule sees only its namespace, and may not name another', async () => {
    const refused = await post(nsRules, {
      name: 'PeekB',
      expr: 'e2e_app_errors{namespace="team-b-web"} > 0',
    });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { code: string }).code).toBe('namespace_not_allowed');

    const res = await post(nsRules, {
      name: 'AppErrors',
      expr: 'label_replace(e2e_app_errors, "namespace", "team-b-web", "", "") > 0',
      interval: '10s',
      annotations: { summary: '{{ $labels.pod }}: {{ $value }} errors' },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const alerts = await eventually(
      async () => {
        const found = await edgeAlerts('AppErrors');
        return found.length ? found : undefined;
      },
      60_000,
      'AppErrors firing at the edge',
    );
    await new Promise((r) => setTimeout(r, 11_000)); // one more evaluation: still only team-web
    const settled = await edgeAlerts('AppErrors');
    expect(settled).toHaveLength(1);
    expect(alerts[0]?.labels).toMatchObject({ namespace: 'team-web', pod: 'web-0' });
    expect(settled[0]?.labels.namespace).toBe('team-web');
    expect(settled[0]?.annotations.summary).toBe('web-0: 3 errors');
  }, 150_000);

  it('an imported rule file round-trips and is evaluated', async () => {
    const file = [
      'groups:',
      '  - name: imported',
      '    interval: 10s',
      '    rules:',
      '      - alert: ImportedErrors',
      '        expr: e2e_app_errors > 1',
      '        for: 10s',
      '        labels:',
      '          severity: info',
      '          team: web',
      '        annotations:',
      '          summary: "{{ $labels.pod }} errors"',
      '      - alert: ImportedMissing',
      '        expr: e2e_never_scraped > 0',
      '',
    ].join('\n');
    const res = await api(`${nsRules.replace('?', ':import?')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: file,
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const exported = await (await api(`${nsRules}&format=prometheus`)).text();
    for (const piece of [
      'name: imported',
      'alert: ImportedErrors',
      'for: 10s',
      'team: web',
      'alert: ImportedMissing',
    ])
      expect(exported).toContain(piece);
    let lastView: RuleView | undefined;
    await eventually(
      async () => {
        lastView = await ruleView(`${nsRules.replace('?', '/ImportedErrors?')}`);
        const e = lastView.evaluations.find((x) => x.cluster === CLUSTER);
        return e?.health === 'ok' && e.state === 'firing' ? e : undefined;
      },
      90_000,
      'ImportedErrors evaluated and firing',
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; last view: ${JSON.stringify(lastView)}`);
    });
    await eventually(
      async () => ((await edgeAlerts('ImportedErrors')).length === 1 ? true : undefined),
      90_000,
      'ImportedErrors firing (after its 10 s `for`)',
    );
    const missing = await eventually(
      async () => {
        const view = await ruleView(`${nsRules.replace('?', '/ImportedMissing?')}`);
        const e = view.evaluations.find((x) => x.cluster === CLUSTER);
        return e?.health === 'unavailable' ? e : undefined;
      },
      60_000,
      'ImportedMissing unavailable',
    );
    expect(missing.missingMetrics).toEqual(['e2e_never_scraped']);
  }, 150_000);
  // Last: it restarts the edge. One run on a loaded machine (2026-12-03) saw a rule imported
  // ~0.5 s after the agent reconnected to the restarted edge never reach the agent; the same
  // order (outage, then import) passed when re-run on main, so it stays unexplained: see
  // docs/rules.md "Known gaps".
  it('an edge outage while firing loses no alert', async () => {
    prom.exporter.set('ops', 'e2e_outage', { step: 'before' }, 1);
    await prom.waitForSeries('e2e_outage');
    expect(
      (await post(clusterRules, { name: 'OutageProbe', expr: 'e2e_outage > 0', interval: '10s' }))
        .status,
    ).toBe(201);
    await eventually(
      async () => ((await edgeAlerts('OutageProbe')).length === 1 ? true : undefined),
      60_000,
      'OutageProbe firing before the outage',
    );

    await edge.stop();
    // While the edge is away: one alert resolves, another starts firing.
    prom.exporter.remove('ops', 'e2e_outage', { step: 'before' });
    prom.exporter.set('ops', 'e2e_outage', { step: 'during' }, 1);
    await new Promise((r) => setTimeout(r, 25_000)); // two evaluations, spooled
    edge = await startWranglerDev({ persistDir: edge.persistDir, port: edge.port });

    // `before` was sent valid for 4 minutes: only the spooled resolution ends it this soon.
    const after = await eventually(
      async () => {
        const alerts = await edgeAlerts('OutageProbe');
        return alerts.length === 1 && alerts[0]?.labels.step === 'during' ? alerts : undefined;
      },
      90_000,
      'the alert that fired during the outage, and the resolution of the other',
    );
    expect(Date.parse(after[0]?.startsAt ?? '')).toBeLessThan(Date.now() - 10_000);
  }, 240_000);
});
