import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../agents/config';
import { silentLogger } from '../../agents/log';
import {
  createCertificateAuthority,
  issueClientCertificate,
  type KeyPairPem,
} from '../../agents/quota/certificates';
import { QuotaLedger } from '../../agents/quota/ledger';
import { startQuotaEnforcer } from '../../agents/quota/quota-enforcer';
import { CA_SECRET_NAME, servingIdentity } from '../../agents/quota/webhook-ca';
import { startWebhookServer, type WebhookServer } from '../../agents/quota/webhook-server';
import type { QuotasFrame } from '../../protocol/quota-frames';
import { startKubeEmulator } from '../support/kube-emulator';
import { freePort } from '../support/wrangler-dev';
import { clientFor, tempDir, waitFor } from './support';

/*
 * Attack 6 (issue #12): any pod that can reach the webhook Service could POST
 * AdmissionReviews of its own and hold a workspace's quota with them. Now a
 * reservation is keyed by the pod's UID and lasts only until the pod informer
 * confirms that UID (it becomes counted usage) or 30 s pass; with
 * --webhook-client-ca the webhook only talks to a client presenting a
 * certificate from that CA (the API server, configured to present one).
 */

const WS_LABEL = 'kubesphere.io/workspace';
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const quota: QuotasFrame = {
  type: 'quotas',
  revision: 1,
  workspaces: [{ workspace: 'alpha', hard: { cpu: 2000, pods: 10 }, usedElsewhere: {} }],
};

const podSpec = (cpu: string) => ({
  containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu } } }],
});

/** An emulated cluster with 500m of alpha's 2 cores in use, and a ledger on an injected clock. */
async function setUp() {
  const emu = await startKubeEmulator();
  cleanups.push(() => emu.close());
  emu.store.create('namespaces', {
    metadata: { name: 'alpha-web', labels: { [WS_LABEL]: 'alpha' } },
  });
  emu.store.create('pods', {
    metadata: { name: 'existing', namespace: 'alpha-web', uid: 'uid-existing' },
    spec: podSpec('500m'),
    status: { phase: 'Running' },
  });
  const clock = { now: 1_000_000 };
  const { client } = await clientFor(emu);
  const ledger = new QuotaLedger({ client, log: silentLogger, now: () => clock.now });
  cleanups.push(() => ledger.close());
  ledger.apply(quota, true);
  await ledger.waitForSync();
  return { emu, ledger, clock };
}

/** Whether a real pod asking for `cpu` would be admitted now. */
async function admits(ledger: QuotaLedger, cpu: string, name = 'real'): Promise<boolean> {
  const decision = await ledger.decide(
    'alpha-web',
    { name, uid: `uid-${name}-${Math.random()}`, dryRun: true },
    podDemandOf(cpu),
  );
  return decision.allowed;
}

const podDemandOf = (cpu: string) => ({
  cpuRequestMillis: Number.parseFloat(cpu) * (cpu.endsWith('m') ? 1 : 1000),
  memoryRequestBytes: 0,
  cpuLimitMillis: 0,
  memoryLimitBytes: 0,
});

/** An AdmissionReview as a pod in the cluster can write one: any uid, any object. */
const review = (opts: { uid?: string; name?: string; cpu: string; dryRun?: boolean }) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: `review-${Math.random()}`,
    kind: { group: '', version: 'v1', kind: 'Pod' },
    operation: 'CREATE',
    namespace: 'alpha-web',
    name: opts.name ?? '',
    ...(opts.dryRun ? { dryRun: true } : {}),
    object: {
      metadata: {
        ...(opts.name ? { name: opts.name } : { generateName: 'web-' }),
        namespace: 'alpha-web',
        ...(opts.uid ? { uid: opts.uid } : {}),
      },
      spec: podSpec(opts.cpu),
    },
  },
});

async function startWebhook(ledger: QuotaLedger, clientCa?: string) {
  const ca = createCertificateAuthority('edgetower-agent-webhook-ca');
  const identity = servingIdentity(ca, ['127.0.0.1']);
  const server = await startWebhookServer({
    listen: { host: '127.0.0.1', port: 0 },
    tls: identity,
    ...(clientCa ? { clientCa } : {}),
    ledger,
    log: silentLogger,
  });
  cleanups.push(() => server.close());
  return { server, caBundle: identity.caCert };
}

/** POSTs a review over real TLS; `client` is the certificate the caller presents, if any. */
function post(
  server: WebhookServer,
  caBundle: string,
  body: unknown,
  client?: KeyPairPem,
): Promise<{ status: number; body: { response?: { allowed: boolean } } }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        method: 'POST',
        host: '127.0.0.1',
        port: server.port,
        path: '/validate-pods',
        ca: caBundle,
        ...(client ? { cert: client.cert, key: client.key } : {}),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch (error) {
            reject(error);
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('attack 6: forged AdmissionReviews hold no quota for long', () => {
  it('a forged review holds nothing after 30 s', async () => {
    const { ledger, clock } = await setUp();
    const { server, caBundle } = await startWebhook(ledger);
    // The forger "admits" a pod that will never exist: 1.5 cores of alpha's remaining 1.5.
    const forged = await post(server, caBundle, review({ uid: 'never-created', cpu: '1500m' }));
    expect(forged.body.response?.allowed).toBe(true);
    expect(await admits(ledger, '100m')).toBe(false); // held while it could still be real
    clock.now += 30_001;
    expect(await admits(ledger, '1500m')).toBe(true);
  });

  it('a stream of forged reviews cannot make a real pod be refused beyond each one’s window', async () => {
    const { ledger, clock } = await setUp();
    const { server, caBundle } = await startWebhook(ledger);
    expect(
      (await post(server, caBundle, review({ uid: 'forged-1', cpu: '1' }))).body.response?.allowed,
    ).toBe(true);
    clock.now += 20_000;
    // Over the cap together with the first: refused, and holding nothing.
    expect(
      (await post(server, caBundle, review({ uid: 'forged-2', cpu: '1' }))).body.response?.allowed,
    ).toBe(false);
    clock.now += 10_001;
    expect(await admits(ledger, '1500m')).toBe(true);
  });

  it('one pod UID holds quota once, however often and under whatever name it is reviewed', async () => {
    const { ledger, clock } = await setUp();
    const { server, caBundle } = await startWebhook(ledger);
    for (const name of ['a', 'b', 'c', ''])
      expect(
        (await post(server, caBundle, review({ uid: 'same-uid', name, cpu: '500m' }))).body.response
          ?.allowed,
      ).toBe(true);
    // 500m existing + 500m held once: a real pod of 1 core still fits.
    expect(await admits(ledger, '1')).toBe(true);
    // The window runs from the first review: repeating a UID does not extend its hold.
    clock.now += 20_000;
    await post(server, caBundle, review({ uid: 'same-uid', cpu: '500m' }));
    clock.now += 10_001;
    expect(await admits(ledger, '1500m')).toBe(true);
  });

  it('a review of a pod the informer already counts, or a server-side dry run, holds nothing', async () => {
    const { ledger } = await setUp();
    const { server, caBundle } = await startWebhook(ledger);
    await post(server, caBundle, review({ uid: 'uid-existing', name: 'existing', cpu: '1' }));
    await post(server, caBundle, review({ uid: 'dry', name: 'dry', cpu: '1', dryRun: true }));
    await post(server, caBundle, review({ name: 'no-uid', cpu: '1' }));
    expect(await admits(ledger, '1500m')).toBe(true);
  });

  it('the informer seeing the UID turns a reservation into counted usage, never both', async () => {
    const { emu, ledger, clock } = await setUp();
    const { server, caBundle } = await startWebhook(ledger);
    await post(server, caBundle, review({ uid: 'uid-web-x1', cpu: '1' })); // generateName pod
    expect(await admits(ledger, '600m')).toBe(false);
    emu.store.create('pods', {
      metadata: { name: 'web-x1', namespace: 'alpha-web', uid: 'uid-web-x1' },
      spec: podSpec('1'),
      status: { phase: 'Pending' },
    });
    await waitFor(() => ledger.usageHere('alpha').cpu === 1500);
    expect(await admits(ledger, '500m')).toBe(true); // counted once: 1.5 of 2 cores
    clock.now += 60_000; // confirmed usage does not expire
    expect(await admits(ledger, '600m')).toBe(false);
  });
});

describe('attack 6: --webhook-client-ca', () => {
  it('refuses callers without a client certificate from that CA, over real TLS', async () => {
    const { ledger } = await setUp();
    const clientCa = createCertificateAuthority('kube-apiserver webhook clients');
    const { server, caBundle } = await startWebhook(ledger, clientCa.cert);
    const caKey = createPrivateKey(clientCa.key);
    const apiServer = issueClientCertificate(
      {
        cert: clientCa.cert,
        key: caKey,
        publicKey: createPublicKey(caKey),
        subject: 'kube-apiserver webhook clients',
      },
      'kube-apiserver',
    );
    const stranger = createCertificateAuthority('a pod');
    const strangerKey = createPrivateKey(stranger.key);
    const forgedClient = issueClientCertificate(
      {
        cert: stranger.cert,
        key: strangerKey,
        publicKey: createPublicKey(strangerKey),
        subject: 'a pod',
      },
      'kube-apiserver',
    );

    await expect(post(server, caBundle, review({ uid: 'p1', cpu: '1' }))).rejects.toThrow();
    await expect(
      post(server, caBundle, review({ uid: 'p2', cpu: '1' }), forgedClient),
    ).rejects.toThrow();
    expect(await admits(ledger, '1500m')).toBe(true); // neither held anything

    const real = await post(server, caBundle, review({ uid: 'p3', cpu: '1' }), apiServer);
    expect(real.status).toBe(200);
    expect(real.body.response?.allowed).toBe(true);
  });

  it('is read from its file by the enforcer; an unreadable file never means "no client auth"', async () => {
    const { emu } = await setUp();
    const { client } = await clientFor(emu);
    emu.store.create('namespaces', { metadata: { name: 'edgetower-system' } }); // the CA Secret's
    const clientCa = createCertificateAuthority('kube-apiserver webhook clients');
    const dir = await tempDir();
    const caFile = join(dir, 'client-ca.pem');
    await writeFile(caFile, clientCa.cert);
    const start = async (clientCaFile: string) => {
      const port = await freePort();
      const enforcer = startQuotaEnforcer({
        client,
        log: silentLogger,
        namespace: 'edgetower-system',
        webhook: {
          listen: { host: '127.0.0.1', port },
          target: { url: `https://127.0.0.1:${port}/validate-pods` },
          failurePolicy: 'Fail',
          clientCaFile,
        },
        sendUsage: () => true,
      });
      cleanups.push(() => enforcer.close());
      return enforcer;
    };
    const enforcer = await start(caFile);
    const server = await waitFor(() => enforcer.webhook);
    const caBundle = await waitFor(() => {
      const secret = emu.store.get('secrets', 'edgetower-system', CA_SECRET_NAME) as
        | { data?: Record<string, string> }
        | undefined;
      return secret?.data?.['tls.crt'] && Buffer.from(secret.data['tls.crt'], 'base64').toString();
    });
    await expect(post(server, caBundle, review({ uid: 'p1', cpu: '1' }))).rejects.toThrow();
    const caKey = createPrivateKey(clientCa.key);
    const apiServer = issueClientCertificate(
      {
        cert: clientCa.cert,
        key: caKey,
        publicKey: createPublicKey(caKey),
        subject: 'kube-apiserver webhook clients',
      },
      'kube-apiserver',
    );
    expect((await post(server, caBundle, review({ uid: 'p2', cpu: '1' }), apiServer)).status).toBe(
      200,
    );

    const broken = await start(join(dir, 'missing.pem'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(broken.webhook).toBeUndefined();
  });

  it('is a flag with an environment fallback, and needs the webhook', () => {
    const base = ['--hub', 'https://edge.example', '--token', 't'];
    const parsed = parseConfig(
      [...base, '--webhook-listen', ':9443', '--webhook-client-ca', '/ca.pem'],
      {
        env: {},
      },
    );
    expect(parsed).toMatchObject({ kind: 'config', config: { webhookClientCa: '/ca.pem' } });
    const fromEnv = parseConfig([...base, '--webhook-listen', ':9443'], {
      env: { EDGETOWER_WEBHOOK_CLIENT_CA: '/env-ca.pem' },
    });
    expect(fromEnv).toMatchObject({ config: { webhookClientCa: '/env-ca.pem' } });
    expect(parseConfig([...base, '--webhook-client-ca', '/ca.pem'], { env: {} })).toMatchObject({
      kind: 'error',
      message: expect.stringContaining('--webhook-listen'),
    });
  });
});
