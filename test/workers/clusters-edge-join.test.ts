import { beforeAll, describe, expect, it } from 'vitest';
import { parseCloudcoreConfig } from '../../functions/clusters/cloudcore-config';
import { keadmJoinCommand } from '../../functions/clusters/keadm-join';
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

/**
 * Upstream keadm's `join` flags per KubeEdge minor, read from kubeedge/kubeedge at each tag
 * (keadm/cmd/keadm/app/cmd/edge/join.go, join_others.go from 1.16; names from
 * keadm/cmd/keadm/app/cmd/common/constant.go, types.go before 1.11). Shorthands omitted.
 */
const BASE_FLAGS = [
  'certPath',
  'certport',
  'cgroupdriver',
  'cloudcore-ipport',
  'edgenode-name',
  'kubeedge-version',
  'remote-runtime-endpoint',
  'tarballpath',
  'token',
];
function upstreamJoinFlags(minor: number): Set<string> {
  const flags = new Set(BASE_FLAGS);
  if (minor <= 15) flags.add('runtimetype');
  if (minor >= 8) flags.add('labels');
  if (minor >= 10 && minor <= 20) flags.add('with-mqtt');
  if (minor >= 11) flags.add('image-repository');
  if (minor >= 16) flags.add('hub-protocol');
  if (minor >= 18) flags.add('set');
  if (minor >= 20) for (const f of ['pre-run', 'post-run']) flags.add(f);
  return flags;
}
const OLDEST_KUBEEDGE_MINOR = 6;
const NEWEST_KUBEEDGE_MINOR = 23;

/** The long flags of a `keadm join` command line; throws on anything else. */
function parseJoin(command: string): Map<string, string> {
  const [keadm, join, ...rest] = command.split(' ');
  expect(`${keadm} ${join}`).toBe('keadm join');
  const flags = new Map<string, string>();
  for (const arg of rest) {
    const match = /^--([a-zA-Z-]+)=(.+)$/.exec(arg);
    if (!match) throw new Error(`not a --flag=value argument: ${arg}`);
    flags.set(match[1] as string, match[2] as string);
  }
  return flags;
}

function expectUpstreamFlags(command: string, version: string): Map<string, string> {
  const minor = Number(version.split('.')[1]);
  const flags = parseJoin(command);
  const allowed = upstreamJoinFlags(minor);
  for (const flag of flags.keys())
    expect(allowed.has(flag), `--${flag} is not a flag of upstream keadm ${version}`).toBe(true);
  return flags;
}

/** Answers the edge's reads of cloudcore's config, token secret and deployment like a KubeEdge cluster. */
async function serveKubeEdge(
  installed: boolean,
  image = 'kubeedge/cloudcore:v1.13.1',
): Promise<RequestFrame[]> {
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
        spec: { template: { spec: { containers: [{ image }] } } },
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
    expect(command).toContain(`--token=${edgeToken}`);
    expect(command).toContain('--kubeedge-version=1.13.1');
    // Upstream keadm refuses unknown flags: only its own may appear (KubeSphere's fork had more).
    const flags = expectUpstreamFlags(command, '1.13.1');
    for (const forked of ['quicport', 'tunnelport', 'edgenode-ip', 'with-edge-taint'])
      expect(flags.has(forked)).toBe(false);
    for (const request of seen) expect(request.impersonate?.user).toBe('east-admin');
  });

  it('emits only the flags upstream keadm has, for every KubeEdge version from 1.6 to 1.23', () => {
    for (let minor = OLDEST_KUBEEDGE_MINOR; minor <= NEWEST_KUBEEDGE_MINOR; minor++) {
      const version = `1.${minor}.0`;
      const command = keadmJoinCommand({
        address: '2001:db8::7',
        websocketPort: 10000,
        certPort: 10012,
        token: edgeToken,
        nodeName: 'edge-1',
        kubeedgeVersion: version,
        remoteRuntimeEndpoint: 'unix:///run/containerd/containerd.sock',
        labels: minor >= 8 ? { 'example.com/zone': 'a', tier: 'edge' } : undefined,
      });
      const flags = expectUpstreamFlags(command, version);
      expect(flags.get('cloudcore-ipport')).toBe('[2001:db8::7]:10000');
      expect(flags.get('certport')).toBe('10012');
      expect(flags.get('kubeedge-version')).toBe(version);
      expect(flags.get('remote-runtime-endpoint')).toBe('unix:///run/containerd/containerd.sock');
      // Before 1.16 the runtime defaults to docker: a CRI endpoint needs --runtimetype=remote.
      expect(flags.get('runtimetype')).toBe(minor < 16 ? 'remote' : undefined);
      if (minor >= 8) expect(flags.get('labels')).toBe('example.com/zone=a,tier=edge');
    }
    // An unknown version: the newest form, no --kubeedge-version (keadm picks its own).
    const plain = parseJoin(
      keadmJoinCommand({
        address: '203.0.113.7',
        websocketPort: 10000,
        certPort: 10002,
        token: edgeToken,
        nodeName: 'edge-1',
        kubeedgeVersion: null,
      }),
    );
    expect([...plain.keys()]).toEqual(['cloudcore-ipport', 'token', 'edgenode-name']);
  });

  it('chooses the form by the cloudcore version read from the cluster (KubeSphere-era 1.7)', async () => {
    const pending = api('POST', '/api/v1/clusters/east/edge-nodes/join-command', fx.as('admin'), {
      nodeName: 'edge-node-3',
      remoteRuntimeEndpoint: 'unix:///var/run/containerd/containerd.sock',
    });
    await serveKubeEdge(true, 'kubesphere/cloudcore:v1.7.2');
    const res = await pending;
    expect(res.status).toBe(200);
    const flags = expectUpstreamFlags((res.body as { command: string }).command, '1.7.2');
    expect(flags.get('kubeedge-version')).toBe('1.7.2');
    expect(flags.get('runtimetype')).toBe('remote');

    const labelled = api('POST', '/api/v1/clusters/east/edge-nodes/join-command', fx.as('admin'), {
      nodeName: 'edge-node-4',
      labels: { zone: 'a' },
    });
    await serveKubeEdge(true, 'kubesphere/cloudcore:v1.7.2');
    const refused = await labelled;
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject({ code: 'labels_unsupported' });
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
    // nodeIp is optional now (upstream keadm has no flag for it); the new fields end up in a
    // shell command, so they are as strict.
    expect((await post('admin', { nodeIp: '192.0.2.1' })).status).toBe(400);
    const endpoint = { nodeName: 'ok', remoteRuntimeEndpoint: 'unix:///x.sock; rm -rf /' };
    expect((await post('admin', endpoint)).status).toBe(400);
    expect((await post('admin', { nodeName: 'ok', labels: { 'a b': 'c' } })).status).toBe(400);
    expect((await post('admin', { nodeName: 'ok', labels: { a: '$(id)' } })).status).toBe(400);
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
