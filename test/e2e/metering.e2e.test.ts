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
import type { KubeEmulator, KubeObject } from '../support/kube-emulator';
import { freePort, removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Metering as deployed: `wrangler dev` (ClusterTunnel, MeteringStore, D1),
 * the Kubernetes API emulator serving metrics.k8s.io at known usage, and
 * the real agent CLI sampling every second. Over two whole minutes, with
 * the edge down for 30 s and the agent SIGKILLed and restarted in between,
 * the query API must show exactly the core-hours and GiB-hours the pods
 * were charged: nothing lost, nothing counted twice, whatever the step.
 */
const CLUSTER = 'e2e-meter';
const RANGE_SECONDS = 120;

let edge: WranglerDev;
let edgePort: number;
let persistDir: string;
let kube: KubeEmulator;
let workDir: string;
let kubeconfig: string;
let agentDataDir: string;
let alertPort: number;
let adminJwt: string;
let joinToken: string;
let agent: AgentProcess | undefined;

const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);

const eventually = <T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string) =>
  waitFor(probe, timeoutMs, what, { onTimeout: () => console.log(agent?.output().slice(-4000)) });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const nowSeconds = () => Date.now() / 1000;

const pod = (name: string, cpu: string, memory: string, claims: string[] = []): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: 'shop',
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: 'sts-db', controller: true },
    ],
  },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: 'main', resources: { requests: { cpu, memory } } }],
    volumes: claims.map((claimName) => ({ name: claimName, persistentVolumeClaim: { claimName } })),
  },
  status: { phase: 'Running', startTime: '2026-01-01T00:00:00Z' },
});

/*
 * Charged per second, max(request, usage):
 *   db-0: requests 500m / 1Gi, uses 2 cores / 512Mi  → 2 cores,   1 GiB
 *   db-1: requests 500m / 1Gi, uses 100m / 3Gi       → 0.5 cores, 3 GiB
 *   db-2: requests 250m / 256Mi, uses its requests, 10Gi PVC → 0.25, 0.25 GiB
 */
const CORES = 2.75;
const MEMORY_GIB = 4.25;
const PVC_GIB = 10;

async function startAgent(): Promise<AgentProcess> {
  agent = await startAgentProcess({
    name: 'meter-a',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
    dataDir: agentDataDir,
    extraArgs: ['--metering-interval', '1', '--alertmanager-listen', `127.0.0.1:${alertPort}`],
  });
  return agent;
}

interface MetricTotals {
  unit: string;
  sum: number;
  series: [number, number][];
}
interface MeteringAnswer {
  step: string;
  items: { selector: Record<string, string>; metrics: Record<string, MetricTotals> }[];
}

async function totals(start: number, end: number, step: string) {
  const res = await api(
    `/api/v1/metering?level=cluster&cluster=${CLUSTER}&start=${start}&end=${end}&step=${step}&metrics=cpu_usage,memory_usage,pvc_bytes_total`,
  );
  if (res.status !== 200) throw new Error(`metering query ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as MeteringAnswer;
  const metrics = body.items[0]?.metrics ?? {};
  return {
    cpu: metrics.cpu_usage?.sum ?? 0,
    memory: metrics.memory_usage?.sum ?? 0,
    pvc: metrics.pvc_bytes_total?.sum ?? 0,
    units: [metrics.cpu_usage?.unit, metrics.memory_usage?.unit, metrics.pvc_bytes_total?.unit],
  };
}

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-metering-e2e-'));
  agentDataDir = path.join(workDir, 'agent-data');
  persistDir = path.join(workDir, 'edge-state');
  ({ kube, kubeconfig } = await startAgentCluster(workDir, { bookmarkIntervalMs: 1000 }));
  const { store } = kube;
  store.create('namespaces', {
    metadata: { name: 'shop', labels: { 'kubesphere.io/workspace': 'retail' } },
  });
  store.create('persistentvolumeclaims', {
    metadata: { name: 'data-db-2', namespace: 'shop' },
    spec: { resources: { requests: { storage: `${PVC_GIB}Gi` } } },
  });
  store.create('pods', pod('db-0', '500m', '1Gi'));
  store.create('pods', pod('db-1', '500m', '1Gi'));
  store.create('pods', pod('db-2', '250m', '256Mi', ['data-db-2']));
  store.setPodUsage('shop', 'db-0', { cpu: '2', memory: '512Mi' });
  store.setPodUsage('shop', 'db-1', { cpu: '100m', memory: '3Gi' });
  edgePort = await freePort();
  alertPort = await freePort();
  edge = await startWranglerDev({ port: edgePort, persistDir });
  adminJwt = await signInAdmin(edge.url);
  joinToken = await registerCluster(api, { name: CLUSTER, labels: {} });
});

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('metering end to end', () => {
  let rangeStart = 0;

  it('meters known usage through an edge outage and an agent restart, exactly', async () => {
    await startAgent();
    await eventually(
      async () => (agent?.output().includes('metering started') ? true : undefined),
      60_000,
      'metering to start',
    );
    // The first whole minute after metering got going.
    rangeStart = Math.ceil((nowSeconds() + 3) / 60) * 60;
    const rangeEnd = rangeStart + RANGE_SECONDS;
    await sleep((rangeStart + 10 - nowSeconds()) * 1000);

    // The edge goes away for 30 s; the agent keeps sampling into its spool.
    await edge.stop();
    await sleep(30_000);
    edge = await startWranglerDev({ port: edgePort, persistDir });

    // The agent is killed mid-run and comes back with its data dir.
    await sleep(10_000);
    await agent?.kill();
    await sleep(4_000);
    await startAgent();
    await eventually(
      async () =>
        agent?.output().includes('metering resumes after the last spooled window')
          ? true
          : undefined,
      60_000,
      'the restarted agent to resume after its last window',
    );

    await sleep(Math.max(0, (rangeEnd + 2 - nowSeconds()) * 1000));
    const hours = RANGE_SECONDS / 3600;
    const expected = { cpu: CORES * hours, memory: MEMORY_GIB * hours, pvc: PVC_GIB * hours };
    const within1pct = (got: number, want: number) => Math.abs(got - want) <= want * 0.01;
    const got = await eventually(
      async () => {
        const t = await totals(rangeStart, rangeEnd, '1h');
        return within1pct(t.cpu, expected.cpu) && within1pct(t.memory, expected.memory)
          ? t
          : undefined;
      },
      60_000,
      `core-hours ${expected.cpu} and GiB-hours ${expected.memory} for [${rangeStart}, ${rangeEnd})`,
    );
    expect(got.units).toEqual(['core-hours', 'GiB-hours', 'GiB-hours']);
    expect(got.cpu).toBeCloseTo(expected.cpu, 6);
    expect(got.memory).toBeCloseTo(expected.memory, 6);
    expect(got.pvc).toBeCloseTo(expected.pvc, 6);

    // Nothing trickles in late to double-count, and every step agrees.
    await sleep(3000);
    for (const step of ['1h', '1d', '1m']) {
      const t = await totals(rangeStart, rangeEnd, step);
      expect({ step, cpu: t.cpu, memory: t.memory, pvc: t.pvc }).toEqual({
        step,
        cpu: expect.closeTo(expected.cpu, 6),
        memory: expect.closeTo(expected.memory, 6),
        pvc: expect.closeTo(expected.pvc, 6),
      });
    }
    // Each second of the range is there once: per-minute series of 60 s each.
    const perMinute = await totals(rangeStart, rangeEnd, '1m');
    expect(perMinute.cpu).toBeCloseTo(expected.cpu, 6);
  }, 300_000);

  it('forwards an in-cluster Alertmanager webhook to the edge with the cluster label', async () => {
    const payload = {
      version: '4',
      status: 'firing',
      receiver: 'edgetower',
      groupLabels: {},
      commonLabels: {},
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'MeteringE2E', severity: 'warning', namespace: 'shop' },
          annotations: { summary: 'forwarded through the agent' },
          startsAt: new Date().toISOString(),
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: '',
        },
      ],
    };
    const res = await fetch(`http://127.0.0.1:${alertPort}/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(res.status).toBe(200);
    const alerts = await eventually(
      async () => {
        const list = (await (
          await api('/api/v2/alerts?filter=alertname%3D%22MeteringE2E%22')
        ).json()) as { labels: Record<string, string> }[];
        return list.length ? list : undefined;
      },
      30_000,
      'the forwarded alert',
    );
    expect(alerts.map((a) => a.labels)).toEqual([
      { alertname: 'MeteringE2E', severity: 'warning', namespace: 'shop', cluster: CLUSTER },
    ]);
  });
});
