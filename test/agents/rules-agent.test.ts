import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AgentDeps, type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { silentLogger } from '../../agents/log';
import { RULE_STATE_CONFIGMAP } from '../../agents/rules';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';
import { type PrometheusServer, startPrometheus } from '../support/prometheus-server';
import {
  type CuttableLink,
  cuttableLink,
  flatten,
  healthOf,
  type RulesHub,
  rule,
  startRulesHub,
  syncFrame,
} from './rules-fixtures';
import { clientFor, tempDir, waitFor } from './support';

/**
 * The evaluator inside the real agent: rules arrive as `rules-sync`, the
 * leader evaluates them against a REAL Prometheus, alerts go through the
 * durable spool (an edge outage loses none), health comes back as
 * `rules-health`, and pending/firing state survives leader hand-overs.
 */
const TOKEN = 'hub-token';
const timing = { leaseDurationMs: 1500, renewDeadlineMs: 1000, retryPeriodMs: 100 };

let prom: PrometheusServer;
let emu: KubeEmulator;
let hub: RulesHub;
let link: CuttableLink | undefined;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  prom = await startPrometheus({ namespaces: ['team-a'] });
}, 30_000);
afterAll(async () => prom?.close());
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await link?.close();
  link = undefined;
  await hub?.close();
  await emu?.close();
});

async function replica(
  agentId: string,
  hubUrl: string,
  rules: AgentDeps['rules'],
): Promise<RunningAgent> {
  const { kubeconfig } = await clientFor(emu);
  const config: AgentConfig = {
    hubUrl,
    token: TOKEN,
    kubeconfig,
    prometheusUrl: prom.url,
    meteringIntervalSeconds: 60,
    meteringCharging: 'max',
    healthListen: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
    namespace: 'edgetower-system',
    agentId,
    dataDir: await tempDir(),
  };
  const agent = await runAgent(config, silentLogger, { ...timing, rules });
  let closed = false;
  const close = agent.close;
  const once = async () => {
    if (closed) return;
    closed = true;
    await close();
  };
  cleanups.push(once);
  return Object.assign(agent, { close: once });
}

async function cluster(): Promise<void> {
  emu = await startKubeEmulator();
  emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } });
  hub = await startRulesHub(TOKEN);
}

const received = (id: string) =>
  flatten(hub.alerts).filter((a) => a.labels.edgetower_rule_id === id);

describe('rules in the agent', () => {
  it('loses no alert through an edge outage while firing (the spool replays on reconnect)', async () => {
    await cluster();
    link = await cuttableLink(hub.url);
    prom.exporter.set('team-a', 'o1_errors', { pod: 'before' }, 1);
    await prom.waitForSeries('o1_errors{pod="before"}');
    hub.sync = syncFrame([rule('o1', { expr: 'o1_errors > 0', metrics: ['o1_errors'] })]);
    const agent = await replica('agent-a', link.url, {
      intervalMs: 1000,
      healthMinIntervalMs: 0,
      resendDelayMs: 60_000,
    });
    await waitFor(() => agent.elector.isLeader, 5000);
    await waitFor(() => received('o1').find((a) => a.labels.pod === 'before'), 15_000);
    await waitFor(() => {
      const h = healthOf(hub.health, 'o1');
      return h?.health === 'ok' && h.state === 'firing';
    });

    // The edge goes away; meanwhile one alert resolves and another starts firing.
    await link.cut();
    const cutAt = Date.now();
    prom.exporter.remove('team-a', 'o1_errors', { pod: 'before' });
    prom.exporter.set('team-a', 'o1_errors', { pod: 'during' }, 1);
    await waitFor(() => {
      const alerts =
        agent
          .rules()
          ?.health()
          .find((r) => r.id === 'o1')?.alerts ?? [];
      return alerts.length === 1 && alerts[0]?.labels.pod === 'during';
    }, 15_000);
    await waitFor(() => agent.batches.backlog >= 1, 5000);
    expect(agent.tunnel.isConnected()).toBe(false);
    const healthDuringOutage = hub.health.length;

    await link.restore();
    const during = await waitFor(
      () => received('o1').find((a) => a.labels.pod === 'during' && a.status === 'firing'),
      20_000,
    );
    const resolved = await waitFor(
      () => received('o1').find((a) => a.labels.pod === 'before' && a.status === 'resolved'),
      5000,
    );
    // Both happened while the edge was away, and arrived with their own times.
    expect(Date.parse(during.startsAt)).toBeGreaterThan(cutAt - 1000);
    expect(Date.parse(resolved.endsAt)).toBeGreaterThan(cutAt - 1000);
    expect(during.sentAt).toBeGreaterThan(cutAt);
    await waitFor(() => agent.batches.backlog === 0, 10_000);
    await waitFor(() => hub.health.length > healthDuringOutage, 5000);
  }, 60_000);

  it('keeps the `for` clock and does not re-send a firing alert across leader hand-overs', async () => {
    await cluster();
    prom.exporter.set('team-a', 'h1_errors', { pod: 'p' }, 1);
    await prom.waitForSeries('h1_errors');
    hub.sync = syncFrame([rule('h1', { expr: 'h1_errors > 0', forSeconds: 5 })]);
    const rules = {
      intervalMs: 1000,
      healthMinIntervalMs: 0,
      resendDelayMs: 60_000,
      stateDebounceMs: 100,
    };
    const a = await replica('agent-a', hub.url, rules);
    await waitFor(() => a.elector.isLeader, 5000);
    const b = await replica('agent-b', hub.url, rules);
    const pending = await waitFor(() => {
      const h = healthOf(hub.health, 'h1');
      return h?.state === 'pending' ? h : undefined;
    }, 15_000);
    const activeAt = Date.parse(pending.alerts[0]?.activeAt ?? '');
    await new Promise((r) => setTimeout(r, Math.max(0, activeAt + 3000 - Date.now())));

    await a.close(); // graceful: state written before the lease is released
    expect(emu.store.get('configmaps', 'edgetower-system', RULE_STATE_CONFIGMAP)).toBeDefined();
    await waitFor(() => b.elector.isLeader, 5000);
    const takeoverAt = Date.now();
    const fired = await waitFor(() => received('h1')[0], 15_000);
    expect(fired.status).toBe('firing');
    // Fired `for` after the first leader saw it, not `for` after the hand-over.
    expect(Date.parse(fired.startsAt) - activeAt).toBeGreaterThanOrEqual(5000);
    expect(Date.parse(fired.startsAt)).toBeLessThan(takeoverAt + 4000);
    const firingHealth = await waitFor(() => {
      const h = healthOf(hub.health, 'h1');
      return h?.state === 'firing' ? h : undefined;
    });
    expect(Date.parse(firingHealth.alerts[0]?.activeAt ?? '')).toBe(activeAt);

    // Another hand-over while firing: the next leader knows it was sent and does not send it again.
    await new Promise((r) => setTimeout(r, 500));
    const c = await replica('agent-c', hub.url, rules);
    await b.close();
    await waitFor(() => c.elector.isLeader, 5000);
    const healthBefore = hub.health.length;
    await waitFor(() => hub.health.length >= healthBefore + 3, 10_000);
    expect(healthOf(hub.health, 'h1')).toMatchObject({ state: 'firing' });
    expect(received('h1')).toHaveLength(1);
  }, 60_000);
});
