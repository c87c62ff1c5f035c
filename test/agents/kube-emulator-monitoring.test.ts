import { afterEach, describe, expect, it } from 'vitest';
import { EDGE_NODE_LABEL } from '../../protocol/inventory';
import { type KubeEmulator, startKubeEmulator } from '../support/kube-emulator';

let emu: KubeEmulator;
afterEach(async () => {
  await emu?.close();
});

const get = (path: string) =>
  fetch(`${emu.url}${path}`, { headers: { authorization: `Bearer ${emu.token}` } });

function seed(emulator: KubeEmulator) {
  const node = (name: string, edge: boolean, ip: string) => ({
    metadata: { name, labels: (edge ? { [EDGE_NODE_LABEL]: '' } : {}) as Record<string, string> },
    status: { addresses: [{ type: 'InternalIP', address: ip }] },
  });
  emulator.store.create('nodes', node('cloud-1', false, '10.0.0.1'));
  emulator.store.create('nodes', node('edge-1', true, '192.168.1.10'));
  emulator.store.create('namespaces', { metadata: { name: 'web' } });
  for (const [pod, nodeName] of [
    ['on-cloud', 'cloud-1'],
    ['on-edge', 'edge-1'],
  ] as const) {
    emulator.store.create('pods', {
      metadata: { name: pod, namespace: 'web' },
      spec: { nodeName, containers: [{ name: 'main' }] },
      status: { phase: 'Running' },
    });
    emulator.store.appendPodLog('web', pod, `hello from ${pod}`);
  }
  emulator.store.setNodeUsage('edge-1', { cpu: '250m', memory: '512Mi' });
}

describe('kube emulator: what monitoring reads', () => {
  it('serves NodeMetrics for every node and one, edge nodes included', async () => {
    emu = await startKubeEmulator();
    seed(emu);
    const list = (await (await get('/apis/metrics.k8s.io/v1beta1/nodes')).json()) as {
      items: { metadata: { name: string }; usage: { cpu: string; memory: string } }[];
    };
    expect(list.items.map((i) => i.metadata.name).sort()).toEqual(['cloud-1', 'edge-1']);
    const one = await get('/apis/metrics.k8s.io/v1beta1/nodes/edge-1');
    expect(await one.json()).toMatchObject({
      kind: 'NodeMetrics',
      usage: { cpu: '250m', memory: '512Mi' },
    });
    emu.setUnserved(['metrics.k8s.io']);
    expect((await get('/apis/metrics.k8s.io/v1beta1/nodes')).status).toBe(404);
  });

  it("fails logs of pods on edge nodes as the API server does when KubeEdge's stream is off", async () => {
    emu = await startKubeEmulator({ edgeStream: false });
    seed(emu);
    const edge = await get('/api/v1/namespaces/web/pods/on-edge/log');
    expect(edge.status).toBe(500);
    expect(await edge.json()).toMatchObject({
      kind: 'Status',
      reason: 'InternalError',
      message:
        'Get "https://192.168.1.10:10350/containerLogs/web/on-edge/main": dial tcp 192.168.1.10:10350: connect: connection refused',
    });
    const cloud = await get('/api/v1/namespaces/web/pods/on-cloud/log');
    expect(await cloud.text()).toContain('hello from on-cloud\n');
    emu.setEdgeStream(true);
    expect(await (await get('/api/v1/namespaces/web/pods/on-edge/log')).text()).toContain(
      'hello from on-edge\n',
    );
  });
});
