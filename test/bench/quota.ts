/**
 * Workspace-quota admission latency: how long the agent takes to decide a
 * pod CREATE, with 20,000 pods in the cluster (5,000 of them in the capped
 * workspace's 50 namespaces), measured three ways:
 *   - decision: QuotaLedger.decide in process (what the webhook adds);
 *   - handler:  the same, timed inside the HTTPS webhook handler;
 *   - pod create: POST /pods on the Kubernetes API emulator, which calls the
 *     webhook over HTTPS (new TLS connection per call) and stores the pod.
 *
 *   npm run bench -- quota
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadKubeConfig } from '../../agents/agent';
import { createKubeClient } from '../../agents/kube';
import { silentLogger } from '../../agents/log';
import { podDemand } from '../../agents/quota/pod-demand';
import { startQuotaEnforcer } from '../../agents/quota/quota-enforcer';
import { tempDir } from '../agents/support';
import { type KubeObject, startKubeEmulator, writeKubeconfig } from '../support/kube-emulator';
import { freePort } from '../support/wrangler-dev';

const PODS = 20_000;
const CAPPED_NAMESPACES = 50;
const CAPPED_PODS = 5_000;
const RUNS = Number(process.env.QUOTA_BENCH_RUNS ?? 2_000);
const LABEL = 'kubesphere.io/workspace';

const spec = (cpu: string) => ({
  containers: [{ name: 'app', image: 'app', resources: { requests: { cpu, memory: '64Mi' } } }],
});

function percentiles(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { median: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

const emu = await startKubeEmulator();
const namespaces: KubeObject[] = [{ metadata: { name: 'edgetower-system' } }];
for (let i = 0; i < 200; i++)
  namespaces.push({
    metadata: {
      name: `ns-${i}`,
      ...(i < CAPPED_NAMESPACES ? { labels: { [LABEL]: 'alpha' } } : {}),
    },
  });
emu.store.load('namespaces', namespaces);
const pods: KubeObject[] = [];
for (let i = 0; i < PODS; i++) {
  const ns =
    i < CAPPED_PODS ? `ns-${i % CAPPED_NAMESPACES}` : `ns-${CAPPED_NAMESPACES + (i % 150)}`;
  pods.push({
    metadata: { name: `pod-${i}`, namespace: ns },
    spec: spec('10m'),
    status: { phase: 'Running' },
  });
}
emu.store.load('pods', pods);

const kubeconfig = join(await tempDir(), 'kubeconfig');
await writeKubeconfig(kubeconfig, { url: emu.url, token: emu.token });
const client = createKubeClient(loadKubeConfig(kubeconfig));
const port = await freePort();
const enforcer = startQuotaEnforcer({
  client,
  log: silentLogger,
  namespace: 'edgetower-system',
  webhook: {
    listen: { host: '127.0.0.1', port },
    target: { url: `https://127.0.0.1:${port}/validate-pods` },
    failurePolicy: 'Fail',
  },
  sendUsage: () => true,
  reportIntervalMs: 50,
});
enforcer.setLeading(true);
// 5,000 pods × 10m = 50 cores used; a cap of 60 leaves room for 1,000 more such pods.
enforcer.onQuotas(
  {
    type: 'quotas',
    revision: 1,
    workspaces: [{ workspace: 'alpha', hard: { cpu: 60_000 }, usedElsewhere: { cpu: 0 } }],
  },
  true,
);
const syncStart = performance.now();
await enforcer.ledger.waitForSync();
const syncMs = performance.now() - syncStart;
while (!emu.store.get('validatingwebhookconfigurations', undefined, 'edgetower-agent-quotas'))
  await new Promise((resolve) => setTimeout(resolve, 10));

const time = async (fn: () => Promise<unknown>) => {
  const start = performance.now();
  await fn();
  return performance.now() - start;
};

const admitted: number[] = [];
const denied: number[] = [];
for (let i = 0; i < RUNS; i++) {
  admitted.push(
    await time(() =>
      enforcer.ledger.decide(
        'ns-1',
        { name: `new-${i}`, uid: `uid-new-${i}` },
        podDemand(spec('1m')),
      ),
    ),
  );
  denied.push(
    await time(() =>
      enforcer.ledger.decide(
        'ns-2',
        { name: `big-${i}`, uid: `uid-big-${i}` },
        podDemand(spec('20')),
      ),
    ),
  );
}

const handlerBefore = enforcer.webhook?.decisionsMs.length ?? 0;
const creates: number[] = [];
const CREATE_RUNS = Math.min(RUNS, 500);
for (let i = 0; i < CREATE_RUNS; i++) {
  const body = JSON.stringify({ metadata: { name: `via-api-${i}` }, spec: spec('1m') });
  creates.push(
    await time(async () => {
      const res = await fetch(`${emu.url}/api/v1/namespaces/ns-3/pods`, {
        method: 'POST',
        headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
        body,
      });
      await res.arrayBuffer();
      if (res.status !== 201) throw new Error(`pod create answered ${res.status}`);
    }),
  );
}
const handler = (enforcer.webhook?.decisionsMs ?? []).slice(handlerBefore);

const rows = [
  ['decision, admitted', admitted],
  ['decision, denied', denied],
  ['decision inside HTTPS handler', handler],
  ['pod create via API emulator + webhook', creates],
] as const;
console.log(
  `\nquota admission — ${PODS.toLocaleString()} pods, ${CAPPED_PODS.toLocaleString()} in the capped workspace; ledger synced in ${syncMs.toFixed(0)} ms; ${cpus().length} CPUs, Node ${process.version}\n`,
);
console.log('| measurement | runs | median ms | p99 ms | max ms |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, samples] of rows) {
  const p = percentiles(samples);
  console.log(
    `| ${name} | ${samples.length} | ${p.median.toFixed(3)} | ${p.p99.toFixed(3)} | ${p.max.toFixed(3)} |`,
  );
}

await enforcer.close();
client.close();
await emu.close();
