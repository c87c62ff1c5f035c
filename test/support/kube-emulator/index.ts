import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AdmissionCall } from './admission';
import { type ClusterSpec, generateCluster } from './generator';
import type { WatchConnection } from './list-watch';
import type { RbacTable } from './rbac';
import { createHandler, type RecordedRequest, type ServerContext } from './server';
import { ServingModel, type ServingOptions } from './serving';
import { KubeStore } from './store';
import {
  startWorkloadControllers,
  type WorkloadControllers,
  type WorkloadOptions,
} from './workloads';

export type { ClusterSpec } from './generator';
export { generateCluster } from './generator';
export { writeKubeconfig } from './kubeconfig';
export type { RbacRule, RbacTable } from './rbac';
export type { RecordedRequest } from './server';
export { gitVersionOf, NEWEST_MINOR, OLDEST_MINOR, type ServingOptions } from './serving';
export { KubeStore, StoreError, type StoreEvent } from './store';
export type { KubeObject } from './types';
export type { WorkloadControllers, WorkloadOptions } from './workloads';

export interface KubeEmulatorOptions extends ServingOptions {
  host?: string;
  /** 0 (default) picks a free port; a fixed port lets a test "restart the API server". */
  port?: number;
  /** Bearer token of the agent's ServiceAccount; random when omitted. */
  token?: string;
  /** User name that token authenticates as. */
  user?: string;
  /** Reuse a store (e.g. across a simulated API server restart). */
  store?: KubeStore;
  /** Generate a cluster into a fresh store. */
  cluster?: ClusterSpec;
  /**
   * Extra allowances for impersonated requests, besides the RoleBindings and
   * ClusterRoleBindings in the store (which always apply to them).
   */
  rbac?: RbacTable;
  /** Impersonated groups allowed everything (default ["system:masters"]). */
  adminGroups?: string[];
  /** How often watches with allowWatchBookmarks get a BOOKMARK (default 5 s). */
  bookmarkIntervalMs?: number;
  /** Events a watch can resume from before 410 Gone (default 10,000). */
  eventWindow?: number;
  /** /version's gitVersion only; `version` also changes what is served. */
  kubernetesVersion?: string;
  maxRecordedRequests?: number;
  /** Continue tokens expire (410) after this long (default 5 min). */
  continueTtlMs?: number;
  /**
   * Workload controllers: Deployments, StatefulSets, DaemonSets, Jobs and
   * claims written with a new generation report ready after a delay (see
   * workloads.ts); `false` leaves status alone.
   */
  workloads?: WorkloadOptions | false;
  /** KubeEdge's cloudStream/edgeStream on (default): logs of pods on edge nodes work. */
  edgeStream?: boolean;
}

export interface KubeEmulator {
  url: string;
  token: string;
  store: KubeStore;
  /** Every request seen (bounded), newest last, with impersonation headers. */
  requests: RecordedRequest[];
  /** Validating admission webhook calls made on pod creates. */
  admissionCalls: AdmissionCall[];
  /** The emulated workload controllers (pause, resume, delays), unless disabled. */
  workloads?: WorkloadControllers;
  /** Replace (or remove) the extra impersonation RBAC table. */
  setRbac(table: RbacTable | undefined): void;
  /** Add another accepted bearer token. */
  addToken(token: string, user: string): void;
  /** Every continue token issued so far now gets 410 Expired. */
  expireContinueTokens(): void;
  /** Open watches (optionally of one resource) go silent without closing: what a stuck watch looks like. */
  stallWatches(plural?: string): number;
  /** Close all open watches, as an API server restart would. */
  dropWatches(plural?: string): number;
  watchCount(plural?: string): number;
  /** The agent's own lists of these plurals answer 403 from now on (empty: none). */
  setForbidden(plurals: string[]): void;
  /** These plurals (or "metrics.k8s.io") are no longer served (empty: all are). */
  setUnserved(plurals: string[]): void;
  /** Turns KubeEdge's cloudStream/edgeStream on or off (logs of pods on edge nodes). */
  setEdgeStream(enabled: boolean): void;
  close(): Promise<void>;
}

/** Starts a Kubernetes API server emulator on loopback. */
export async function startKubeEmulator(options: KubeEmulatorOptions = {}): Promise<KubeEmulator> {
  const store = options.store ?? new KubeStore({ eventWindow: options.eventWindow });
  if (options.cluster) generateCluster(store, options.cluster);
  const serving = new ServingModel(options);
  const token = options.token ?? randomBytes(24).toString('hex');
  const watches = new Set<WatchConnection>();
  const ctx: ServerContext = {
    store,
    continueEpoch: 0,
    continueTtlMs: options.continueTtlMs ?? 300_000,
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 5000,
    watches,
    tokens: new Map([
      [token, options.user ?? 'system:serviceaccount:edgetower-system:edgetower-agent'],
    ]),
    rbac: options.rbac,
    adminGroups: options.adminGroups ?? ['system:masters'],
    edgeStream: options.edgeStream ?? true,
    requests: [],
    maxRecordedRequests: options.maxRecordedRequests ?? 10_000,
    version: {
      gitVersion: options.version ? serving.gitVersion : (options.kubernetesVersion ?? 'v1.30.2'),
      platform: 'linux/amd64',
    },
    serving,
    admissionCalls: [],
  };
  const server = createServer((req, res) => {
    void createHandler(ctx)(req, res);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const workloads =
    options.workloads === false ? undefined : startWorkloadControllers(store, options.workloads);
  const select = (plural?: string) =>
    [...watches].filter((w) => plural === undefined || w.plural === plural);

  return {
    url: `http://${address.address}:${address.port}`,
    token,
    store,
    requests: ctx.requests,
    admissionCalls: ctx.admissionCalls,
    workloads,
    setRbac: (table) => {
      ctx.rbac = table;
    },
    addToken: (extra, user) => {
      ctx.tokens.set(extra, user);
    },
    expireContinueTokens: () => {
      ctx.continueEpoch++;
    },
    stallWatches: (plural) => {
      const selected = select(plural);
      for (const w of selected) w.stalled = true;
      return selected.length;
    },
    dropWatches: (plural) => {
      const selected = select(plural);
      for (const w of selected) w.end();
      return selected.length;
    },
    watchCount: (plural) => select(plural).length,
    setForbidden: (plurals) => {
      serving.forbidden = new Set(plurals);
    },
    setUnserved: (plurals) => {
      serving.unserved = new Set(plurals);
    },
    setEdgeStream: (enabled) => {
      ctx.edgeStream = enabled;
    },
    close: async () => {
      workloads?.stop();
      for (const w of watches) w.end();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
