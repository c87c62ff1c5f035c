import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EDGE_NODE_LABEL } from '../../protocol/inventory';
import { type AgentProcess, startAgentProcess } from '../support/agent-process';
import {
  bearerFetch,
  eventually,
  registerCluster,
  signInAdmin,
  startAgentCluster,
} from '../support/e2e-fleet';
import type { KubeEmulator } from '../support/kube-emulator';
import { removeState, startWranglerDev, type WranglerDev } from '../support/wrangler-dev';

/**
 * Node metrics and edge node logs through the whole path: `wrangler dev`,
 * a real agent process, and the Kubernetes API emulator with the agent
 * manifest's RBAC applied (the emulator enforces RBAC on impersonated
 * requests, so the node-metrics group works only through its ClusterRole).
 */
const CLUSTER = 'mon-e2e';
let workDir: string;
let kube: KubeEmulator;
let edge: WranglerDev;
let agent: AgentProcess;
let adminJwt: string;
const api = (p: string, init?: RequestInit) => bearerFetch(edge.url, adminJwt, p, init);

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'edgetower-monitoring-e2e-'));
  let kubeconfig: string;
  ({ kube, kubeconfig } = await startAgentCluster(workDir, { edgeStream: false }));
  const node = (name: string, edgeNode: boolean, ip: string) => ({
    metadata: {
      name,
      labels: (edgeNode ? { [EDGE_NODE_LABEL]: '' } : {}) as Record<string, string>,
    },
    status: {
      addresses: [{ type: 'InternalIP', address: ip }],
      capacity: { cpu: '4', memory: '8Gi' },
      allocatable: { cpu: '4', memory: '8Gi' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  });
  kube.store.create('nodes', node('cloud-1', false, '10.0.0.1'));
  kube.store.create('nodes', node('edge-1', true, '192.168.1.10'));
  kube.store.create('namespaces', { metadata: { name: 'web' } });
  for (const [pod, nodeName] of [
    ['on-cloud', 'cloud-1'],
    ['on-edge', 'edge-1'],
  ] as const) {
    kube.store.create('pods', {
      metadata: { name: pod, namespace: 'web' },
      spec: { nodeName, containers: [{ name: 'main', image: 'nginx' }] },
      status: { phase: 'Running' },
    });
    kube.store.appendPodLog('web', pod, `hello from ${pod}`);
  }
  kube.store.setNodeUsage('cloud-1', { cpu: '1500m', memory: '2Gi' });
  kube.store.setNodeUsage('edge-1', { cpu: '250m', memory: '1Gi' });
  edge = await startWranglerDev();
  adminJwt = await signInAdmin(edge.url);
  const joinToken = await registerCluster(api, { name: CLUSTER });
  agent = await startAgentProcess({
    name: 'monitoring-agent',
    hubUrl: edge.url,
    token: joinToken,
    kubeconfig,
  });
  await eventually(
    async () => {
      const nodes = (await (await api(`/api/v1/clusters/${CLUSTER}/nodes`)).json()) as {
        items?: unknown[];
      };
      return nodes.items?.length === 2 ? true : undefined;
    },
    60_000,
    'the agent to report both nodes',
  );
}, 240_000);

afterAll(async () => {
  await agent?.kill();
  await edge?.stop();
  if (edge) await removeState(edge);
  await kube?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

describe('node metrics through a real agent', () => {
  it('reads metrics.k8s.io as the node-metrics group, and says why disk and network are missing', async () => {
    const res = await api(`/api/v1/clusters/${CLUSTER}/nodes/metrics`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      live: boolean;
      items: {
        name: string;
        cpu: { usedCores: number } | null;
        disk: null;
        missing: Record<string, string>;
      }[];
    };
    expect(body.live).toBe(true);
    const byName = new Map(body.items.map((i) => [i.name, i]));
    expect(byName.get('cloud-1')?.cpu?.usedCores).toBe(1.5);
    expect(byName.get('edge-1')?.cpu?.usedCores).toBe(0.25);
    expect(byName.get('edge-1')?.disk).toBeNull();
    expect(byName.get('edge-1')?.missing.disk).toMatch(/prometheus-url/);
    const seen = kube.requests.filter((r) =>
      r.path?.startsWith('/apis/metrics.k8s.io/v1beta1/nodes'),
    );
    expect(seen.at(-1)).toMatchObject({ impersonateGroups: ['edgetower:node-metrics'] });
    const one = await api(`/api/v1/clusters/${CLUSTER}/nodes/edge-1/metrics`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({
      node: { name: 'edge-1', edge: true, conditions: [{ type: 'Ready', status: 'True' }] },
      figures: { cpu: { usedCores: 0.25 } },
    });
  });
});

describe('edge node logs', () => {
  it('are 502 edge_stream_disabled while KubeEdge stream is off, and flow once it is on', async () => {
    const logs = (pod: string) =>
      api(`/clusters/${CLUSTER}/k8s/api/v1/namespaces/web/pods/${pod}/log`);
    const off = await logs('on-edge');
    expect(off.status).toBe(502);
    expect(await off.json()).toMatchObject({ code: 'edge_stream_disabled' });
    const cloud = await logs('on-cloud');
    expect(cloud.status).toBe(200);
    expect(await cloud.text()).toContain('hello from on-cloud');
    kube.setEdgeStream(true);
    const on = await logs('on-edge');
    expect(on.status).toBe(200);
    expect(await on.text()).toContain('hello from on-edge');
  });
});
