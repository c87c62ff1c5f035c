import { readFile } from 'node:fs/promises';
import type { QuotasFrame, QuotaUsageFrame } from '../../protocol/quota-frames';
import { quotaResources, type ResourceAmounts } from '../../protocol/quota-resources';
import { createBackoff, sleep } from '../backoff';
import type { HostPort } from '../config';
import type { DegradedRegistry } from '../degraded';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import { QuotaLedger } from './ledger';
import { loadOrCreateCa, servingIdentity } from './webhook-ca';
import {
  applyWebhookConfiguration,
  type FailurePolicy,
  type WebhookTarget,
} from './webhook-config';
import { startWebhookServer, type WebhookServer } from './webhook-server';

export interface QuotaEnforcerOptions {
  client: KubeClient;
  log: Logger;
  /** The agent's namespace: where the shared webhook CA Secret lives. */
  namespace: string;
  /** Absent: no admission webhook (usage is still counted and reported). */
  webhook?: {
    listen: HostPort;
    target: WebhookTarget;
    failurePolicy: FailurePolicy;
    /** PEM file of the CA the API server's client certificate must chain to (--webhook-client-ca). */
    clientCaFile?: string;
  };
  /** Sends a usage report; false when it could not go out (it is retried on the next tick). */
  sendUsage: (frame: QuotaUsageFrame) => boolean;
  /** How often the leader reports usage when it changed (default 10 s). */
  reportIntervalMs?: number;
  stallTimeoutMs?: number;
  /** Where unreadable resources (quota's pods and namespaces) are reported. */
  degraded?: DegradedRegistry;
}

export interface QuotaEnforcer {
  ledger: QuotaLedger;
  /** The HTTPS webhook once it is serving (it starts when the shared CA could be read). */
  readonly webhook: WebhookServer | undefined;
  /** A `quotas` frame from the edge; `reconnected` when it is the first since a (re)connect. */
  onQuotas(frame: QuotasFrame, reconnected: boolean): void;
  /** Only the leader reports usage and maintains the webhook configuration. */
  setLeading(leading: boolean): void;
  /** The tunnel reconnected: the next report goes out even if nothing changed. */
  onConnected(): void;
  close(): Promise<void>;
}

/** DNS names (or the IP) the serving certificate must carry for the API server to reach us. */
function hostsOf(target: WebhookTarget): string[] {
  if ('url' in target) return [new URL(target.url).hostname];
  const { name, namespace } = target.service;
  return [
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.cluster.local`,
    `${name}.${namespace}`,
  ];
}

/** The client CA file, read at each start: a missing or empty file is an error, never "no auth". */
async function readClientCa(file: string): Promise<string> {
  const pem = await readFile(file, 'utf8');
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`--webhook-client-ca ${file} holds no PEM certificate`);
  return pem;
}

const withZeros = (amounts: ResourceAmounts): ResourceAmounts =>
  Object.fromEntries(quotaResources.map((r) => [r, amounts[r] ?? 0]));

/**
 * Workspace quotas in the cluster: the ledger (every replica), the HTTPS
 * admission webhook (every replica), and, on the leader, the webhook
 * configuration and the usage reports to the edge.
 */
export function startQuotaEnforcer(options: QuotaEnforcerOptions): QuotaEnforcer {
  const { client, log } = options;
  const ledger = new QuotaLedger({
    client,
    log: log.child({ component: 'quota-ledger' }),
    stallTimeoutMs: options.stallTimeoutMs,
    degraded: options.degraded,
  });
  let webhook: WebhookServer | undefined;
  let caBundle = '';
  const stop = new AbortController();
  let leading = false;
  let lastReport = '';
  let forceReport = false;
  let appliedWorkspaces: string | undefined;
  let applying: Promise<void> = Promise.resolve();

  const syncWebhookConfiguration = () => {
    const spec = options.webhook;
    if (!leading || !spec || !caBundle) return;
    const workspaces = ledger.workspaces();
    const key = JSON.stringify(workspaces);
    if (key === appliedWorkspaces) return;
    appliedWorkspaces = key;
    applying = applying.then(async () => {
      try {
        await applyWebhookConfiguration(client, {
          target: spec.target,
          caBundle,
          failurePolicy: spec.failurePolicy,
          workspaces,
        });
        log.info('quota webhook configuration applied', { workspaces });
      } catch (error) {
        appliedWorkspaces = undefined; // retried on the next change or report tick
        log.warn('cannot apply the quota webhook configuration', { error });
      }
    });
  };

  const report = () => {
    if (!leading || !ledger.hasSynced()) return;
    const denials = ledger.takeDenials();
    const workspaces = ledger.workspaces().map((workspace) => {
      const denied = denials.get(workspace);
      return {
        workspace,
        used: withZeros(ledger.usageHere(workspace)),
        ...(denied?.length ? { denied } : {}),
      };
    });
    const key = JSON.stringify(workspaces);
    if (key === lastReport && !forceReport && denials.size === 0) return;
    if (!options.sendUsage({ type: 'quota-usage', workspaces })) {
      ledger.restoreDenials(denials); // the tunnel is down: nothing of this report is lost
      return;
    }
    lastReport = key;
    forceReport = false;
  };

  /*
   * The CA lives in the cluster, so the webhook waits for the API server;
   * meanwhile the agent runs on (tunnel, proxy, inventory) and retries, rather
   * than failing its start over an API server that is restarting.
   */
  const serveWebhook = async (spec: NonNullable<QuotaEnforcerOptions['webhook']>) => {
    const backoff = createBackoff({ initialMs: 1000, maxMs: 30_000 });
    while (!stop.signal.aborted) {
      try {
        const ca = await loadOrCreateCa(client, options.namespace);
        const identity = servingIdentity(ca, hostsOf(spec.target));
        const clientCa = spec.clientCaFile ? await readClientCa(spec.clientCaFile) : undefined;
        const server = await startWebhookServer({
          listen: spec.listen,
          tls: identity,
          clientCa,
          ledger,
          log: log.child({ component: 'quota-webhook' }),
        });
        if (stop.signal.aborted) return await server.close();
        webhook = server;
        caBundle = identity.caCert;
        log.info('quota admission webhook listening', {
          port: server.port,
          clientAuth: clientCa ? spec.clientCaFile : 'none',
        });
        appliedWorkspaces = undefined;
        syncWebhookConfiguration();
        return;
      } catch (error) {
        log.warn('quota admission webhook not started yet; retrying', { error });
        await sleep(backoff.next(), stop.signal);
      }
    }
  };
  const webhookStarting = options.webhook ? serveWebhook(options.webhook) : Promise.resolve();

  const timer = setInterval(() => {
    syncWebhookConfiguration();
    report();
  }, options.reportIntervalMs ?? 10_000);
  timer.unref?.();
  ledger.onChange(syncWebhookConfiguration);

  return {
    ledger,
    get webhook() {
      return webhook;
    },
    onQuotas(frame, reconnected) {
      if (ledger.apply(frame, reconnected)) forceReport = true;
    },
    setLeading(value) {
      leading = value;
      appliedWorkspaces = undefined;
      forceReport = true;
      syncWebhookConfiguration();
    },
    onConnected() {
      forceReport = true;
    },
    async close() {
      stop.abort();
      clearInterval(timer);
      await webhookStarting;
      await applying;
      await webhook?.close();
      await ledger.close();
    },
  };
}
