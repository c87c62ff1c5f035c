import https from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import { type RunningAgent, runAgent } from '../../agents/agent';
import type { AgentConfig } from '../../agents/config';
import { silentLogger } from '../../agents/log';
import { createCertificateAuthority } from '../../agents/quota/certificates';
import { CA_SECRET_NAME } from '../../agents/quota/webhook-ca';
import { WEBHOOK_CONFIG_NAME } from '../../agents/quota/webhook-config';
import type { Tunnel } from '../../agents/tunnel';
import type { QuotasFrame, QuotaUsageFrame } from '../../protocol/quota-frames';
import { type KubeEmulator, type KubeObject, startKubeEmulator } from '../support/kube-emulator';
import { freePort } from '../support/wrangler-dev';
import { clientFor, waitFor } from './support';

const WS_LABEL = 'kubesphere.io/workspace';
const GI = 2 ** 30;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A tunnel that hands the test the agent's quota callback and collects its usage reports. */
function fakeTunnel() {
  let deliver: ((frame: QuotasFrame, reconnected: boolean) => void) | undefined;
  const reports: QuotaUsageFrame[] = [];
  const link = { up: true };
  let first = true;
  const tunnel: Tunnel = {
    sendInventory: () => {},
    onConnected: (cb) => queueMicrotask(() => cb('connected')),
    onAck: () => {},
    sendBatch: () => false,
    onBatchAck: () => {},
    onQuotas: (cb) => {
      deliver = cb;
    },
    sendQuotaUsage: (frame) => {
      if (!link.up) return false;
      reports.push(frame);
      return true;
    },
    sendStatus: () => false,
    on: () => {},
    send: () => false,
    isConnected: () => true,
    close: async () => {},
  };
  return {
    tunnel,
    reports,
    link,
    push(frame: QuotasFrame) {
      deliver?.(frame, first);
      first = false;
    },
  };
}

const pod = (name: string, cpu: string, memory = '64Mi') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu, memory } } }] },
});

async function createPod(emu: KubeEmulator, namespace: string, body: unknown) {
  const res = await fetch(`${emu.url}/api/v1/namespaces/${namespace}/pods`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as { message?: string; reason?: string } };
}

async function setUp(failurePolicy: 'Fail' | 'Ignore' = 'Fail') {
  const emu = await startKubeEmulator();
  cleanups.push(() => emu.close());
  await seedCluster(emu);
  const replica = await startReplica(emu, 'agent-q', failurePolicy);
  await waitFor(() => replica.agent.elector.isLeader);
  return { emu, ...replica };
}

async function seedCluster(emu: KubeEmulator) {
  for (const [name, workspace] of [
    ['edgetower-system', undefined],
    ['alpha-web', 'alpha'],
    ['alpha-api', 'alpha'],
    ['beta-web', 'beta'],
    ['plain', undefined],
  ] as const)
    emu.store.create('namespaces', {
      metadata: { name, ...(workspace ? { labels: { [WS_LABEL]: workspace } } : {}) },
    });
  // Already running before the agent starts: counted from the informer's first list.
  emu.store.create('pods', {
    ...pod('existing', '500m', '256Mi'),
    metadata: { name: 'existing', namespace: 'alpha-web' },
    status: { phase: 'Running' },
  });
  emu.store.create('pods', {
    ...pod('finished', '4', '4Gi'),
    metadata: { name: 'finished', namespace: 'alpha-web' },
    status: { phase: 'Succeeded' },
  });
}

async function startReplica(emu: KubeEmulator, agentId: string, failurePolicy: 'Fail' | 'Ignore') {
  const { kubeconfig } = await clientFor(emu);
  const port = await freePort();
  const fake = fakeTunnel();
  const config: AgentConfig = {
    hubUrl: 'http://127.0.0.1:1',
    token: 't',
    kubeconfig,
    meteringIntervalSeconds: 60,
    meteringCharging: 'max',
    healthListen: { host: '127.0.0.1', port: 0 },
    logLevel: 'error',
    namespace: 'edgetower-system',
    agentId,
    webhookListen: { host: '127.0.0.1', port },
    webhookUrl: `https://127.0.0.1:${port}/validate-pods`,
    webhookFailurePolicy: failurePolicy,
  };
  const agent = await runAgent(config, silentLogger, {
    leaseDurationMs: 2000,
    renewDeadlineMs: 1500,
    retryPeriodMs: 200,
    quotaReportIntervalMs: 50,
    startTunnel: () => fake.tunnel,
  });
  cleanups.push(() => agent.close());
  return { agent, fake, port };
}

const alphaQuota = (
  revision: number,
  usedElsewhere: QuotasFrame['workspaces'][number]['usedElsewhere'] = {},
): QuotasFrame => ({
  type: 'quotas',
  revision,
  workspaces: [{ workspace: 'alpha', hard: { cpu: 2000, memory: GI, pods: 3 }, usedElsewhere }],
});

async function ready(agent: RunningAgent, emu: KubeEmulator) {
  await waitFor(() => agent.quotas.ledger.hasSynced());
  return waitFor(() => {
    const config = emu.store.get(
      'validatingwebhookconfigurations',
      undefined,
      WEBHOOK_CONFIG_NAME,
    ) as
      | {
          webhooks: {
            namespaceSelector: { matchExpressions: { operator: string; values?: string[] }[] };
            failurePolicy: string;
            clientConfig: { caBundle: string };
          }[];
        }
      | undefined;
    // Becoming leader registers the webhook for no namespace first; wait for the quota's selector.
    const hook = config?.webhooks[0];
    return hook?.namespaceSelector.matchExpressions[0]?.operator === 'In' ? hook : undefined;
  });
}

describe('workspace quota admission webhook', () => {
  it('registers itself for the capped workspaces only, with the shared CA as caBundle', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    const hook = await ready(agent, emu);
    expect(hook.failurePolicy).toBe('Fail');
    expect(hook.namespaceSelector).toEqual({
      matchExpressions: [{ key: WS_LABEL, operator: 'In', values: ['alpha'] }],
    });
    const secret = emu.store.get('secrets', 'edgetower-system', CA_SECRET_NAME) as
      | (KubeObject & { data: Record<string, string> })
      | undefined;
    expect(Buffer.from(hook.clientConfig.caBundle, 'base64').toString()).toBe(
      Buffer.from(secret?.data['tls.crt'] ?? '', 'base64').toString(),
    );
  });

  it('admits a pod within quota and refuses one over it with a clear message', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);

    // 500m used (the finished pod does not count): 1 more core fits under 2.
    const fits = await createPod(emu, 'alpha-api', pod('fits', '1'));
    expect(fits.status).toBe(201);
    expect(emu.admissionCalls.at(-1)).toMatchObject({ outcome: 'allowed', namespace: 'alpha-api' });

    const over = await createPod(emu, 'alpha-web', pod('too-big', '600m'));
    expect(over.status).toBe(403);
    expect(over.body.reason).toBe('Forbidden');
    expect(over.body.message).toBe(
      'admission webhook "workspace-quotas.edgetower.io" denied the request: exceeded quota of workspace "alpha": requested: cpu=600m, used: cpu=1500m (here 1500m, other clusters 0), limited: cpu=2',
    );
    expect(emu.store.get('pods', 'alpha-web', 'too-big')).toBeUndefined();

    // The pod count cap: existing + fits = 2 of 3; one more small pod fits, the next does not.
    expect((await createPod(emu, 'alpha-web', pod('small', '100m'))).status).toBe(201);
    const fourth = await createPod(emu, 'alpha-web', pod('fourth', '10m'));
    expect(fourth.status).toBe(403);
    expect(fourth.body.message).toContain('pods=1');

    // Namespaces outside capped workspaces never reach the webhook.
    const calls = emu.admissionCalls.length;
    expect((await createPod(emu, 'plain', pod('huge', '64'))).status).toBe(201);
    expect((await createPod(emu, 'beta-web', pod('huge', '64'))).status).toBe(201);
    expect(emu.admissionCalls.length).toBe(calls);
  });

  it('counts pods admitted back to back before its informer sees them (held by pod UID)', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);
    emu.stallWatches('pods'); // the informer hears nothing of the next creates
    expect((await createPod(emu, 'alpha-web', pod('first', '1'))).status).toBe(201);
    // 500m running + 1 core just admitted: another core would go over the 2-core cap.
    const second = await createPod(emu, 'alpha-api', pod('second', '1'));
    expect(second.status).toBe(403);
    expect(second.body.message).toContain('used: cpu=1500m');
    expect(agent.quotas.ledger.reservations).toBe(1);
  });

  it('refuses pods that leave a capped resource unset, as a ResourceQuota does', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push({
      type: 'quotas',
      revision: 1,
      workspaces: [
        { workspace: 'alpha', hard: { cpu: 8000, 'limits.memory': 8 * GI }, usedElsewhere: {} },
      ],
    });
    await ready(agent, emu);
    const bare = await createPod(emu, 'alpha-web', {
      metadata: { name: 'bare' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    expect(bare.status).toBe(403);
    expect(bare.body.message).toContain(
      'workspace "alpha" has a quota on cpu, limits.memory: must specify cpu for: app; limits.memory for: app',
    );
    const limited = await createPod(emu, 'alpha-web', {
      metadata: { name: 'limited' },
      spec: {
        containers: [
          { name: 'app', image: 'nginx', resources: { limits: { cpu: '1', memory: '1Gi' } } },
        ],
      },
    });
    expect(limited.status).toBe(201); // the cpu limit is also its request
  });

  it('counts what the workspace uses in its other clusters', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1, { cpu: 1200, memory: 0, pods: 0 }));
    await ready(agent, emu);
    const refused = await createPod(emu, 'alpha-web', pod('fits-here-only', '500m'));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toContain('used: cpu=1700m (here 500m, other clusters 1200m)');

    // The edge re-pushes when the other cluster's usage fell: now it fits. A late, older push is ignored.
    fake.push(alphaQuota(3, { cpu: 200 }));
    fake.push(alphaQuota(2, { cpu: 1900 }));
    expect((await createPod(emu, 'alpha-web', pod('fits-now', '500m'))).status).toBe(201);
  });

  it('reports usage here and denials to the edge from the leader', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);
    const initial = await waitFor(() =>
      fake.reports.find((r) => r.workspaces[0]?.used.cpu === 500),
    );
    expect(initial.workspaces).toEqual([
      {
        workspace: 'alpha',
        used: {
          pods: 1,
          cpu: 500,
          memory: 256 * 2 ** 20,
          'requests.cpu': 500,
          'requests.memory': 256 * 2 ** 20,
          'limits.cpu': 0,
          'limits.memory': 0,
        },
      },
    ]);
    expect((await createPod(emu, 'alpha-web', pod('big', '1800m'))).status).toBe(403);
    const denial = await waitFor(() => fake.reports.find((r) => r.workspaces[0]?.denied));
    expect(denial.workspaces[0]?.denied).toEqual(['cpu']);
    expect((await createPod(emu, 'alpha-web', pod('ok', '1'))).status).toBe(201);
    await waitFor(() => fake.reports.find((r) => r.workspaces[0]?.used.cpu === 1500));
  });

  it('keeps a denial for the next report while the tunnel is down', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);
    await waitFor(() => fake.reports.length > 0);
    fake.link.up = false;
    expect((await createPod(emu, 'alpha-web', pod('big', '1800m'))).status).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 200)); // several report ticks, all refused
    expect(fake.reports.some((r) => r.workspaces[0]?.denied)).toBe(false);
    fake.link.up = true;
    const delivered = await waitFor(() => fake.reports.find((r) => r.workspaces[0]?.denied));
    expect(delivered.workspaces[0]?.denied).toEqual(['cpu']);
  });

  it('is verified by the API server against the caBundle: a wrong CA fails closed under Fail', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);
    const config = emu.store.get('validatingwebhookconfigurations', undefined, WEBHOOK_CONFIG_NAME);
    const wrongCa = structuredClone(config) as KubeObject & {
      webhooks: { clientConfig: { caBundle: string } }[];
    };
    const stranger = createCertificateAuthority('someone-else');
    for (const hook of wrongCa.webhooks)
      hook.clientConfig.caBundle = Buffer.from(stranger.cert).toString('base64');
    emu.store.update('validatingwebhookconfigurations', wrongCa);
    const res = await createPod(emu, 'alpha-web', pod('tiny', '1m'));
    expect(res.status).toBe(500);
    expect(res.body.message).toContain('failed calling webhook "workspace-quotas.edgetower.io"');
    expect(emu.admissionCalls.at(-1)).toMatchObject({ outcome: 'failed' });
    expect(emu.admissionCalls.at(-1)?.detail).toMatch(/certificate/i);
  });

  it('under failurePolicy Ignore, an unreachable webhook lets pods through', async () => {
    const { emu, agent, fake } = await setUp('Ignore');
    fake.push(alphaQuota(1));
    const hook = await ready(agent, emu);
    expect(hook.failurePolicy).toBe('Ignore');
    await agent.quotas.webhook?.close();
    const res = await createPod(emu, 'alpha-web', pod('while-down', '5'));
    expect(res.status).toBe(201);
    expect(emu.admissionCalls.at(-1)).toMatchObject({ outcome: 'failed' });
  });

  it('narrows the webhook to no namespace once the last quota is removed', async () => {
    const { emu, agent, fake } = await setUp();
    fake.push(alphaQuota(1));
    await ready(agent, emu);
    fake.push({ type: 'quotas', revision: 2, workspaces: [] });
    await waitFor(() => {
      const config = emu.store.get(
        'validatingwebhookconfigurations',
        undefined,
        WEBHOOK_CONFIG_NAME,
      ) as
        | (KubeObject & {
            webhooks: { namespaceSelector: { matchExpressions: { operator: string }[] } }[];
          })
        | undefined;
      return config?.webhooks[0]?.namespaceSelector.matchExpressions.length === 2;
    });
    expect((await createPod(emu, 'alpha-web', pod('free', '8'))).status).toBe(201);
  });
});

describe('start-up', () => {
  it('keeps the agent running and retries when the shared CA cannot be read yet', async () => {
    const emu = await startKubeEmulator();
    cleanups.push(() => emu.close());
    await seedCluster(emu);
    // A half-written CA Secret: unusable until someone completes it.
    emu.store.create('secrets', {
      metadata: { name: CA_SECRET_NAME, namespace: 'edgetower-system' },
      data: { 'tls.crt': '' },
    });
    const { agent, fake } = await startReplica(emu, 'agent-s', 'Fail');
    await waitFor(() => agent.elector.isLeader);
    fake.push(alphaQuota(1));
    await waitFor(() => agent.quotas.ledger.hasSynced());
    expect(agent.quotas.webhook).toBeUndefined();
    expect(
      emu.store.get('validatingwebhookconfigurations', undefined, WEBHOOK_CONFIG_NAME),
    ).toBeUndefined();

    const ca = createCertificateAuthority('edgetower-agent-webhook-ca');
    emu.store.update('secrets', {
      metadata: { name: CA_SECRET_NAME, namespace: 'edgetower-system' },
      data: {
        'tls.crt': Buffer.from(ca.cert).toString('base64'),
        'tls.key': Buffer.from(ca.key).toString('base64'),
      },
    });
    const hook = await ready(agent, emu);
    expect(Buffer.from(hook.clientConfig.caBundle, 'base64').toString()).toBe(ca.cert);
    expect((await createPod(emu, 'alpha-web', pod('over', '3'))).status).toBe(403);
  });
});

describe('two replicas', () => {
  it('share one CA, both answer the webhook, and only the leader reports and registers', async () => {
    const { emu, agent: leader, fake: leaderTunnel } = await setUp();
    const follower = await startReplica(emu, 'agent-r', 'Fail');
    expect(follower.agent.elector.isLeader).toBe(false);
    for (const tunnel of [leaderTunnel, follower.fake]) tunnel.push(alphaQuota(1));
    const hook = await ready(leader, emu);
    await waitFor(() => follower.agent.quotas.ledger.hasSynced());
    const caBundle = Buffer.from(hook.clientConfig.caBundle, 'base64').toString();

    // The follower's webhook, verified against the leader-registered caBundle, decides too.
    const review = (uid: string, cpu: string) => ({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid,
        kind: { group: '', version: 'v1', kind: 'Pod' },
        operation: 'CREATE',
        namespace: 'alpha-web',
        name: uid,
        object: pod(uid, cpu),
      },
    });
    const ask = (body: unknown) =>
      new Promise<{ response: { uid: string; allowed: boolean; status?: { message: string } } }>(
        (resolve, reject) => {
          const req = https.request(
            {
              method: 'POST',
              host: '127.0.0.1',
              port: follower.port,
              path: '/validate-pods',
              ca: caBundle,
              headers: { 'content-type': 'application/json' },
            },
            (res) => {
              let text = '';
              res.on('data', (chunk) => {
                text += chunk;
              });
              res.on('end', () => resolve(JSON.parse(text)));
            },
          );
          req.on('error', reject);
          req.end(JSON.stringify(body));
        },
      );
    expect((await ask(review('small', '100m'))).response).toEqual({ uid: 'small', allowed: true });
    const refused = (await ask(review('large', '3'))).response;
    expect(refused).toMatchObject({ uid: 'large', allowed: false });
    expect(refused.status?.message).toContain('exceeded quota of workspace "alpha"');

    await waitFor(() => leaderTunnel.reports.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 200)); // several report intervals
    expect(follower.fake.reports).toEqual([]);
  });
});
