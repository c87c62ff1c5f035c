import { join } from 'node:path';
// The module itself, not the package index: the index loads every generated API client.
import { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { AGENT_VERSION } from '../protocol/agent-version';
import type { DeliveryApp, DeliveryDeleteFrame } from '../protocol/delivery';
import type { ClusterInfo } from '../protocol/inventory';
import type { RoleProjectionFrame } from '../protocol/projection';
import type { RulesSyncFrame } from '../protocol/rules';
import { ALERTS_KIND, type AlertForwarder, startAlertForwarder } from './alert-forwarder';
import { sleep } from './backoff';
import { BatchSender } from './batch-sender';
import type { AgentConfig } from './config';
import { DegradedRegistry } from './degraded';
import { type DeliveryController, startDelivery } from './delivery';
import { readFailure } from './discovery';
import { type HealthServer, startHealthServer } from './health';
import { createSequence } from './inventory';
import { type InventoryPipeline, startInventoryPipeline } from './inventory-pipeline';
import { allowPlainHttp, createKubeClient, type KubeClient } from './kube';
import { LeaderElector } from './leader-election';
import type { Logger } from './log';
import { MemorySpool } from './memory-spool';
import { leaseWindowAnnotations, leaseWindowEnd } from './metering/lease-window';
import { METERING_KIND, type MeteringRunner, startMetering } from './metering/metering-runner';
import { type QuotaEnforcer, startQuotaEnforcer } from './quota/quota-enforcer';
import { type RbacProjection, startRbacProjection } from './rbac-projection';
import {
  configMapStateStore,
  type RuleEvaluator,
  type RuleEvaluatorOptions,
  startRuleEvaluator,
} from './rules';
import { Spool } from './spool';
import { listenFailure, openKubeConfig } from './startup';
import { startTunnel as defaultStartTunnel, type Tunnel, type TunnelOptions } from './tunnel';

export interface AgentDeps {
  startTunnel?: (options: TunnelOptions) => Tunnel;
  /** Leader election timing, for tests. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  stallTimeoutMs?: number;
  /** How often the leader reports workspace-quota usage (default 10 s), for tests. */
  quotaReportIntervalMs?: number;
  /** Rule evaluation timing (group interval override, resend delay, …), for tests and benches. */
  rules?: Pick<
    RuleEvaluatorOptions,
    'intervalMs' | 'resendDelayMs' | 'healthMinIntervalMs' | 'stateDebounceMs'
  >;
}

export interface RunningAgent {
  config: AgentConfig;
  client: KubeClient;
  tunnel: Tunnel;
  elector: LeaderElector;
  spool?: Spool;
  /** Spooled batches (metering, alerts) on their way to the edge. */
  batches: BatchSender;
  /** The Alertmanager webhook receiver, with --alertmanager-listen. */
  alertForwarder?: AlertForwarder;
  /** Metering while this replica leads. */
  metering(): MeteringRunner | undefined;
  health: HealthServer;
  /** Workspace quotas: usage, the admission webhook (every replica), reports (leader). */
  quotas: QuotaEnforcer;
  /** The inventory pipeline while this replica leads. */
  pipeline(): InventoryPipeline | undefined;
  /** What this replica cannot read right now (reported to the edge). */
  degraded: DegradedRegistry;
  /** Role projection (RoleBindings kept for edgetower) while this replica leads. */
  projection(): RbacProjection | undefined;
  /** Application delivery (apply, status, drift, delete) while this replica leads. */
  delivery(): DeliveryController | undefined;
  /** Alerting-rule evaluation while this replica leads. */
  rules(): RuleEvaluator | undefined;
  close(): Promise<void>;
}

/** A kubeconfig (file or in-cluster) as the agent reads it, unchecked (tests, benches). */
export function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return allowPlainHttp(kc);
}

interface Readiness {
  ok: boolean;
  details: Record<string, unknown>;
}

async function fetchClusterInfo(client: KubeClient): Promise<ClusterInfo> {
  const version = (await client.getJson('/version')) as { gitVersion?: string; platform?: string };
  return { kubernetesVersion: version.gitVersion ?? '', platform: version.platform ?? '' };
}

/**
 * Wires the agent together: tunnel (every replica, for proxying), leader
 * election, and, on the leader only, the informers and inventory pushes (a
 * standby replica keeps neither the cluster's objects in memory nor load on
 * the API server).
 *
 * Everything that can fail for good (kubeconfig, listening ports) is done
 * before the tunnel dials: a StartupError then leaves nothing running.
 */
export async function runAgent(
  config: AgentConfig,
  log: Logger,
  deps: AgentDeps = {},
): Promise<RunningAgent> {
  const kubeConfig = await openKubeConfig(config.kubeconfig);
  // Until the agent is wired, readiness says "starting"; then it is replaced.
  let readiness = (): Readiness => ({ ok: false, details: { starting: true } });
  const health = await startHealthServer(config.healthListen, {
    live: () => true,
    ready: () => readiness(),
  }).catch((err: unknown) => {
    throw listenFailure('health', '--health-listen', config.healthListen, err);
  });
  const alertmanagerListen = config.alertmanagerListen;
  const alertForwarder = alertmanagerListen
    ? await startAlertForwarder({
        listen: alertmanagerListen,
        submit: (payload) => batches.submit(ALERTS_KIND, payload),
        log: log.child({ component: 'alert-forwarder' }),
      }).catch(async (err: unknown) => {
        await health.close();
        throw listenFailure('alert receiver', '--alertmanager-listen', alertmanagerListen, err);
      })
    : undefined;

  const client = createKubeClient(kubeConfig);
  const sequence = createSequence();
  const stopController = new AbortController();
  const degraded = new DegradedRegistry();
  let pipeline: InventoryPipeline | undefined;
  let cluster: ClusterInfo | undefined;
  /** Why the API server could not be asked for /version, until it answers. */
  let apiServerProblem: string | undefined = 'not asked yet';

  const spool = config.dataDir
    ? await Spool.open({
        dir: join(config.dataDir, 'spool'),
        agentId: config.agentId,
        log: log.child({ component: 'spool' }),
      })
    : undefined;

  // Before the tunnel: its first `quotas` push may come right after connecting.
  const quotas = startQuotaEnforcer({
    client,
    log: log.child({ component: 'quotas' }),
    namespace: config.namespace,
    webhook: config.webhookListen && {
      listen: config.webhookListen,
      target: config.webhookUrl
        ? { url: config.webhookUrl }
        : { service: { namespace: config.namespace, name: 'edgetower-agent-webhook', port: 443 } },
      failurePolicy: config.webhookFailurePolicy ?? 'Fail',
      clientCaFile: config.webhookClientCa,
    },
    // Called from the report timer only, once `tunnel` below exists.
    sendUsage: (frame) => tunnel.sendQuotaUsage(frame),
    reportIntervalMs: deps.quotaReportIntervalMs,
    stallTimeoutMs: deps.stallTimeoutMs,
    degraded,
  });
  const tunnel = (deps.startTunnel ?? defaultStartTunnel)({
    hubUrl: config.hubUrl,
    token: config.token,
    agentId: config.agentId,
    agentVersion: AGENT_VERSION,
    kubeConfig,
    prometheusUrl: config.prometheusUrl,
    log: log.child({ component: 'tunnel' }),
  });
  tunnel.onConnected(() => pipeline?.tracker.requestSnapshot());
  tunnel.onQuotas((frame, reconnected) => quotas.onQuotas(frame, reconnected));
  tunnel.onConnected(() => quotas.onConnected());
  // What this replica cannot read goes to the edge on every (re)connect and change.
  const sendStatus = () => tunnel.sendStatus({ type: 'agent-status', degraded: degraded.list() });
  tunnel.onConnected(sendStatus);
  degraded.onChange(sendStatus);
  // Every replica keeps the latest projection, so a new leader starts from it.
  let latestProjection: RoleProjectionFrame | undefined;
  let projection: RbacProjection | undefined;
  tunnel.on('role-projection', (frame) => {
    latestProjection = frame;
    projection?.setDesired(frame);
  });
  tunnel.onConnected((reason) => {
    if (reason === 'connected') projection?.resync();
  });
  // Every replica keeps the apps the edge described (and deletions it asked for), so a new leader starts from them.
  const deliveredApps = new Map<string, DeliveryApp>();
  const deletedApps = new Map<string, DeliveryDeleteFrame['apps'][number]>();
  let delivery: DeliveryController | undefined;
  tunnel.on('delivery-apply', (frame) => {
    for (const app of frame.apps) {
      const known = deliveredApps.get(app.appId);
      if (!known || known.generation <= app.generation) deliveredApps.set(app.appId, app);
      deletedApps.delete(app.appId);
    }
    delivery?.apply(frame.apps);
  });
  tunnel.on('delivery-delete', (frame) => {
    for (const app of frame.apps) {
      deliveredApps.delete(app.appId);
      deletedApps.set(app.appId, app);
    }
    delivery?.delete(frame);
  });
  // After every hello the leader says what the cluster holds, then every app's status again.
  tunnel.onConnected((reason) => {
    if (reason === 'connected') void delivery?.connected();
  });
  // Every replica keeps the latest rule set, so a new leader evaluates from it at once.
  let latestRules: RulesSyncFrame | undefined;
  let rules: RuleEvaluator | undefined;
  tunnel.on('rules-sync', (frame) => {
    latestRules = frame;
    rules?.setRules(frame);
  });
  tunnel.onConnected((reason) => {
    if (reason === 'connected') rules?.connected();
  });
  const batches = new BatchSender({
    spool: spool ?? new MemorySpool(config.agentId),
    tunnel,
    log: log.child({ component: 'batches' }),
  });
  let metering: MeteringRunner | undefined;
  /** Where this replica's metering got to in its current term as leader (for the Lease). */
  let meteredUpTo: number | undefined;

  const startLeading = (lease: { annotations: Record<string, string> }) => {
    const startedAt = Date.now();
    const started = startInventoryPipeline({
      client,
      log: log.child({ component: 'inventory' }),
      send: (update) => tunnel.sendInventory(update),
      sequence,
      degraded,
      stallTimeoutMs: deps.stallTimeoutMs,
    });
    if (cluster) started.setCluster(cluster);
    started.tracker.setActive(true);
    pipeline = started;
    quotas.setLeading(true);
    projection = startRbacProjection({
      client,
      namespaces: started.namespaces,
      log: log.child({ component: 'rbac-projection' }),
      report: (status) => tunnel.send(status),
      initial: latestProjection,
      agentNamespace: config.namespace,
      stallTimeoutMs: deps.stallTimeoutMs,
    });
    const startedDelivery = startDelivery({
      client,
      log: log.child({ component: 'delivery' }),
      send: (frame) => tunnel.send(frame),
      initial: [...deliveredApps.values()],
      stallTimeoutMs: deps.stallTimeoutMs,
    });
    if (deletedApps.size)
      startedDelivery.delete({ type: 'delivery-delete', apps: [...deletedApps.values()] });
    delivery = startedDelivery;
    // A new leader on a live tunnel tells the edge at once (the edge heard nothing from it yet).
    if (tunnel.isConnected()) void startedDelivery.connected();
    const runner: MeteringRunner = startMetering({
      client,
      pipeline: started,
      intervalSeconds: config.meteringIntervalSeconds,
      charging: config.meteringCharging,
      prometheusUrl: config.prometheusUrl,
      dataDir: config.dataDir,
      spool: spool ?? { unacknowledged: () => [], read: async () => undefined },
      submit: (payload) => batches.submit(METERING_KIND, payload),
      clusterWindowEnd: leaseWindowEnd(lease.annotations),
      // A round finishing after this replica stepped down must not speak for the next term.
      onMetered: (windowEnd) => {
        if (metering === runner) meteredUpTo = windowEnd;
      },
      log: log.child({ component: 'metering' }),
      degraded,
      stallTimeoutMs: deps.stallTimeoutMs,
    });
    metering = runner;
    rules = startRuleEvaluator({
      prometheusUrl: config.prometheusUrl ?? '',
      submitAlerts: (payload) => batches.submit(ALERTS_KIND, payload),
      sendHealth: (frame) => tunnel.send(frame),
      stateStore: configMapStateStore({
        client,
        namespace: config.namespace,
        log: log.child({ component: 'rules' }),
      }),
      initial: latestRules,
      log: log.child({ component: 'rules' }),
      ...deps.rules,
    });
    void started.waitForSync().then(() => {
      if (pipeline !== started) return;
      const sizes = Object.fromEntries(started.informers.map((i) => [i.name, i.items.size]));
      const skipped = started.informers.filter((i) => !i.hasSynced).map((i) => i.name);
      log.info('inventory synced', { ms: Date.now() - startedAt, items: sizes, skipped });
    });
  };
  const stopLeading = () => {
    const stopping = pipeline;
    const stoppingMetering = metering;
    const stoppingProjection = projection;
    projection = undefined;
    void stoppingProjection?.stop();
    const stoppingDelivery = delivery;
    delivery = undefined;
    void stoppingDelivery?.stop();
    // Lost the lease: the next leader may already be writing the rule state, so no flush.
    const stoppingRules = rules;
    rules = undefined;
    void stoppingRules?.stop();
    pipeline = undefined;
    metering = undefined;
    meteredUpTo = undefined;
    quotas.setLeading(false);
    void stoppingMetering?.stop();
    void stopping?.stop();
  };

  const elector = new LeaderElector({
    client,
    namespace: config.namespace,
    identity: config.agentId,
    log: log.child({ component: 'leader-election' }),
    leaseDurationMs: deps.leaseDurationMs,
    renewDeadlineMs: deps.renewDeadlineMs,
    retryPeriodMs: deps.retryPeriodMs,
    annotations: () => leaseWindowAnnotations(meteredUpTo),
    onStartedLeading: startLeading,
    onStoppedLeading: stopLeading,
  });
  elector.start();

  // The cluster version, retried until the API server answers, refreshed now and then (upgrades).
  void (async () => {
    let wait = 1000;
    while (!stopController.signal.aborted) {
      try {
        cluster = await fetchClusterInfo(client);
        pipeline?.setCluster(cluster);
        apiServerProblem = undefined;
        degraded.set('apiserver', 'apiserver', undefined);
        wait = 600_000;
      } catch (err) {
        if (stopController.signal.aborted) break;
        // Transient: not ready, and the cluster's status at the edge says why.
        apiServerProblem = readFailure(err).reason;
        degraded.set('apiserver', 'apiserver', `cannot read /version: ${apiServerProblem}`);
        log.warn('cannot read /version', {
          apiServer: client.server,
          error: err instanceof Error ? err.message : String(err),
        });
        wait = Math.min(wait * 2, 30_000);
      }
      await sleep(wait, stopController.signal);
    }
  })();

  readiness = () => {
    const leading = elector.isLeader;
    const synced = pipeline?.hasSynced() ?? false;
    const memory = process.memoryUsage();
    const mib = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
    return {
      // An API server the agent cannot reach keeps it unready, leader or not.
      ok: apiServerProblem === undefined && (!leading || synced),
      details: {
        leader: leading,
        synced,
        apiServer: apiServerProblem ?? 'ok',
        degraded: degraded.list(),
        tunnel: tunnel.isConnected(),
        // Metering/alert batches the edge has not acknowledged yet (grows during an outage).
        spooledBatches: batches.backlog,
        memoryMiB: {
          rss: mib(memory.rss),
          heapUsed: mib(memory.heapUsed),
          heapTotal: mib(memory.heapTotal),
          external: mib(memory.external),
        },
      },
    };
  };
  log.info('agent started', {
    agentId: config.agentId,
    version: AGENT_VERSION,
    apiServer: client.server,
    hub: config.hubUrl,
    healthPort: health.port,
    spool: config.dataDir ?? null,
  });

  return {
    config,
    client,
    tunnel,
    elector,
    spool,
    batches,
    alertForwarder,
    metering: () => metering,
    health,
    quotas,
    pipeline: () => pipeline,
    degraded,
    projection: () => projection,
    delivery: () => delivery,
    rules: () => rules,
    close: async () => {
      stopController.abort();
      // Before the lease is released: the next leader reads the rule state this writes.
      const stoppingRules = rules;
      rules = undefined;
      await stoppingRules?.stop({ flush: true });
      await elector.stop(); // releases the lease: a standby takes over at once
      await projection?.stop();
      projection = undefined;
      await delivery?.stop();
      delivery = undefined;
      await metering?.stop();
      metering = undefined;
      await pipeline?.stop();
      pipeline = undefined;
      batches.close();
      await alertForwarder?.close();
      await quotas.close();
      await tunnel.close();
      await health.close();
      client.close();
    },
  };
}
