import { beforeAll, describe, expect, it } from 'vitest';
import { parseCloudcoreConfig } from '../../functions/clusters/cloudcore-config';
import type { RequestFrame } from '../../functions/tunnel/protocol';
import { connectAgent, type TestAgent } from './support/agent-socket';
import { api, type Fixture, fetchWorker, seedFixture } from './support/fixture';

const cloudcoreYaml = `apiVersion: cloudcore.config.kubeedge.io/v1alpha2
kind: CloudCore
modules:
  cloudHub:
    advertiseAddress:
    - 203.0.113.7
    https:
      enable: true
      port: 10002
    quic:
      port: 10001
    websocket:
      enable: true
      port: 10000
  cloudStream:
    enable: true
    tunnelPort: 10004 # edge logs
`;
const edgeToken = 'a1b2c3d4e5f6.eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2lnbmF0dXJl';

let fx: Fixture;
let agent: TestAgent;

/** Answers the edge's reads of cloudcore's config, token secret and deployment like a KubeEdge cluster. */
async function serveKubeEdge(installed: boolean): Promise<RequestFrame[]> {
  const seen: RequestFrame[] = [];
  for (let i = 0; i < 3; i++) {
    const request = await agent.nextOf('request');
    seen.push(request);
    let body: unknown;
    if (request.path.endsWith('/configmaps/cloudcore'))
      body = { data: { 'cloudcore.yaml': cloudcoreYaml } };
    else if (request.path.endsWith('/secrets/tokensecret'))
      body = { data: { tokendata: btoa(edgeToken) } };
    else
      body = {
        spec: { template: { spec: { containers: [{ image: 'kubeedge/cloudcore:v1.13.1' }] } } },
      };
    await agent.send({
      type: 'response',
      id: request.id,
      status: installed ? 200 : 404,
      headers: [['content-type', 'application/json']],
    });
    await agent.sendData(
      request.id,
      JSON.stringify(installed ? body : { kind: 'Status', code: 404 }),
    );
    await agent.send({ type: 'end', id: request.id });
  }
  return seen;
}

beforeAll(async () => {
  fx = await seedFixture();
  const rotated = await api('POST', '/api/v1/clusters/east/join-token', fx.as('admin'));
  agent = await connectAgent((rotated.body as { joinToken: string }).joinToken);
});

describe('edge node join command', () => {
  it('parses cloudcore.yaml (lists, inline lists, comments, defaults)', () => {
    expect(parseCloudcoreConfig(cloudcoreYaml)).toEqual({
      advertiseAddresses: ['203.0.113.7'],
      websocketPort: 10000,
      quicPort: 10001,
      certPort: 10002,
      tunnelPort: 10004,
    });
    expect(
      parseCloudcoreConfig('modules:\n  cloudHub:\n    advertiseAddress: ["10.1.1.1", 10.1.1.2]\n'),
    ).toMatchObject({ advertiseAddresses: ['10.1.1.1', '10.1.1.2'], websocketPort: 10000 });
  });

  it('reads cloudcore through the tunnel as the caller and returns the keadm command', async () => {
    const pending = api(
      'POST',
      '/api/v1/clusters/east/edge-nodes/join-command',
      fx.as('east-admin'),
      {
        nodeName: 'edge-node-1',
        nodeIp: '192.0.2.10',
      },
    );
    const seen = await serveKubeEdge(true);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      cloudcore: { address: '203.0.113.7', websocketPort: 10000, certPort: 10002 },
      kubeedgeVersion: '1.13.1',
    });
    const command = (res.body as { command: string }).command;
    expect(command).toContain('keadm join --cloudcore-ipport=203.0.113.7:10000');
    expect(command).toContain('--edgenode-name=edge-node-1');
    expect(command).toContain('--edgenode-ip=192.0.2.10');
    expect(command).toContain(`--token=${edgeToken}`);
    expect(command).toContain('--kubeedge-version=1.13.1');
    for (const request of seen) expect(request.impersonate?.user).toBe('east-admin');
  });

  it('answers 409 when KubeEdge is not installed', async () => {
    const pending = api('POST', '/api/v1/clusters/east/edge-nodes/join-command', fx.as('admin'), {
      nodeName: 'edge-node-2',
      nodeIp: '2001:db8::1',
    });
    await serveKubeEdge(false);
    const res = await pending;
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'kubeedge_missing' });
  });

  it('validates the node name and address and who may ask', async () => {
    const post = (who: Parameters<Fixture['as']>[0], body: unknown) =>
      api('POST', '/api/v1/clusters/east/edge-nodes/join-command', fx.as(who), body);
    expect((await post('admin', { nodeName: 'Bad_Name', nodeIp: '192.0.2.1' })).status).toBe(400);
    expect((await post('admin', { nodeName: 'ok', nodeIp: '999.0.0.1' })).status).toBe(400);
    expect((await post('admin', { nodeName: 'ok', nodeIp: '192.0.2.1; rm -rf /' })).status).toBe(
      400,
    );
    expect((await post('admin', { nodeName: 'ok', nodeIp: '192.0.2.1', x: 1 })).status).toBe(400);
    expect((await post('admin', { nodeName: 'ok' })).status).toBe(400);
    expect((await post('east-viewer', { nodeName: 'ok', nodeIp: '192.0.2.1' })).status).toBe(403);
    expect((await post('regular', { nodeName: 'ok', nodeIp: '192.0.2.1' })).status).toBe(404);
    const anonymous = await fetchWorker('/api/v1/clusters/east/edge-nodes/join-command', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ nodeName: 'ok', nodeIp: '192.0.2.1' }),
    });
    expect(anonymous.status).toBe(401);
  });
});
