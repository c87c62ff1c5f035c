import { DurableObject } from 'cloudflare:workers';
import type {
  DegradedResource,
  EventSummary,
  InventoryUpdate,
  NamespaceSummary,
  NodeSummary,
} from '../../protocol/inventory';
import {
  type BatchFrame,
  CloseCodes,
  type ControlFrame,
  decodeFrame,
  encodeControl,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  MAX_FRAME_BYTES,
  negotiateVersion,
} from '../../protocol/tunnel';
import type { AlertGroupsBinding } from '../alerting/alert-groups';
import { ClusterDisconnectRule, disconnectThresholdMs } from '../alerting/cluster-disconnect-rule';
import { EdgeAlertSender } from '../alerting/edge-alert-sender';
import { NodeRules } from '../alerting/node-rules';
import { VersionSkewRule } from '../alerting/version-skew-rule';
import type { BaseEnv } from '../bindings';
import { DeliveryFeature, type DeliveryFrame } from '../delivery/tunnel-feature';
import { log } from '../log';
import type { MeteringStoreBinding } from '../metering/metering-store';
import { type ProjectionPush, RoleProjectionFeature } from '../projection/tunnel-feature';
import { QuotaRelay } from '../quotas/tunnel-push';
import { RulesFeature, type RulesPush, type StoredEvaluation } from '../rules/tunnel-feature';
import { settings } from '../settings';
import { ingestBatch } from './batch-ingest';
import { type InventoryPage, InventoryStore, type NodeCounts } from './inventory-store';
import { ProxiedStreams, type ProxyCall, tunnelError } from './proxied-streams';

/** Per-socket state, kept in the socket's attachment so it survives hibernation. */
interface SocketState {
  socketId: string;
  tokenHash: string;
  connectedAt: number;
  lastSeen: number;
  agentId?: string;
  agentVersion?: string;
  /** Set once HELLO was answered with WELCOME. */
  version?: number;
}

export type ClusterStatusName = 'pending' | 'connected' | 'disconnected';

export interface AgentInfo {
  agentId: string;
  agentVersion: string;
  connectedAt: string;
  lastSeen: string;
}

export interface TunnelStatus {
  status: ClusterStatusName;
  agents: number;
  lastSeen: string | null;
  kubernetesVersion: string | null;
  platform: string | null;
  nodes: NodeCounts;
  namespaces: number;
  connectedAgents: AgentInfo[];
  /** What the connected agents cannot read, and why. */
  degraded: DegradedResource[];
}

/** Carries a ProxyCall (JSON) on the worker's fetch to the tunnel. */
export const PROXY_CALL_HEADER = 'x-edgetower-proxy-call';
/** The worker's fetches to a tunnel: `${TUNNEL_ORIGIN}${PROXY_PATH}` or `${CONNECT_PATH}`. */
export const TUNNEL_ORIGIN = 'https://tunnel';
export const PROXY_PATH = '/proxy';
export const CONNECT_PATH = '/connect';

/**
 * One per cluster: holds the agents' WebSockets (hibernation API), carries
 * proxied requests over them as multiplexed streams, measures liveness and
 * keeps the inventory the leading agent pushes.
 */
export class ClusterTunnel extends DurableObject<TunnelEnv> {
  #store: InventoryStore;
  readonly #streams = new ProxiedStreams();
  readonly #disconnectRule: ClusterDisconnectRule;
  readonly #quotas: QuotaRelay;
  readonly #projection: RoleProjectionFeature;
  readonly #delivery: DeliveryFeature;
  readonly #rules: RulesFeature;
  #nodeRules: NodeRules;
  readonly #skewRule: VersionSkewRule;
  readonly #alertSender: EdgeAlertSender;

  constructor(ctx: DurableObjectState, env: TunnelEnv) {
    super(ctx, env);
    this.#store = new InventoryStore(ctx.storage);
    // The object is named by the cluster's id: alerts go to that id's shard.
    this.#disconnectRule = new ClusterDisconnectRule(env, ctx.storage, ctx.id.name);
    this.#quotas = new QuotaRelay(env, ctx.storage, (clusterId) =>
      env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(clusterId)).pushQuotas(),
    );
    this.#projection = new RoleProjectionFeature(env, ctx.storage);
    this.#delivery = new DeliveryFeature(env, ctx.storage, (clusterId, appIds) =>
      env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(clusterId)).pushDelivery(appIds),
    );
    this.#rules = new RulesFeature(env, ctx.storage);
    this.#alertSender = new EdgeAlertSender(env, ctx.id.name);
    this.#nodeRules = new NodeRules(env, ctx.storage, this.#alertSender);
    this.#skewRule = new VersionSkewRule(ctx.storage, this.#alertSender);
    // Heartbeats are answered by the runtime without waking the object.
    ctx.setWebSocketAutoResponse(
      new WebSocketRequestResponsePair(HEARTBEAT_REQUEST, HEARTBEAT_RESPONSE),
    );
  }

  get #livenessMs(): number {
    return settings(this.env).tunnelLivenessSeconds * 1000;
  }

  /** Records the cluster's name and current token; agents holding any other token are dropped. */
  async register(clusterName: string, tokenHash: string): Promise<void> {
    this.#store.setMeta('clusterName', clusterName);
    this.#store.setMeta('tokenHash', tokenHash);
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (state && state.tokenHash !== tokenHash) {
        this.#streams.failSocket(state.socketId, 'join token rotated');
        this.#close(ws, CloseCodes.tokenRevoked, 'join token rotated');
      }
    }
  }

  /** The cluster was deleted: drop every agent and forget everything. */
  async destroy(): Promise<void> {
    for (const ws of this.ctx.getWebSockets())
      this.#close(ws, CloseCodes.clusterDeleted, 'cluster deleted');
    this.#streams.failAll('cluster deleted');
    const clusterName = this.#store.getMeta('clusterName') ?? '';
    await this.#disconnectRule.resolve(clusterName);
    await this.#quotas.forget(clusterName);
    await this.#nodeRules.resolveAll(clusterName);
    await this.#skewRule.evaluate(clusterName, []);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#store = new InventoryStore(this.ctx.storage);
    this.#nodeRules = new NodeRules(this.env, this.ctx.storage, this.#alertSender);
  }

  /**
   * Two entry points, both only reachable from this worker: the WebSocket
   * upgrade (forwarded by the connect route after it checked the token) and
   * proxied requests (fetch rather than RPC: only fetch propagates the
   * caller going away as a cancel of the response stream).
   */
  override async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === PROXY_PATH) {
      const proxied = request.headers.get(PROXY_CALL_HEADER);
      if (proxied === null) return new Response('missing proxy call', { status: 400 });
      return this.#proxy(JSON.parse(proxied) as ProxyCall, request.body);
    }
    if (path !== CONNECT_PATH) return new Response('not found', { status: 404 });
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
      return new Response('expected a WebSocket upgrade', { status: 426 });
    const tokenHash = request.headers.get('x-edgetower-token-hash') ?? '';
    const current = this.#store.getMeta('tokenHash');
    if (!tokenHash || (current && current !== tokenHash))
      return new Response('join token no longer valid', { status: 401 });
    if (!current) this.#store.setMeta('tokenHash', tokenHash);
    const clusterName = request.headers.get('x-edgetower-cluster');
    if (clusterName) this.#store.setMeta('clusterName', clusterName);

    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server);
    const now = Date.now();
    const state: SocketState = {
      socketId: crypto.randomUUID(),
      tokenHash,
      connectedAt: now,
      lastSeen: now,
    };
    server.serializeAttachment(state);
    await this.#ensureAlarm(now + this.#livenessMs);
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // An exception escaping here would reset the object and drop every
    // agent's socket: whatever one frame does wrong stays with that frame.
    try {
      this.#onMessage(ws, message);
    } catch (error) {
      log.error('tunnel frame failed', { error: String(error) });
      this.#send(ws, {
        type: 'error',
        code: 'internal',
        message: 'the edge could not handle that frame',
      });
    }
  }

  #onMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const state = this.#state(ws);
    if (!state) return;
    this.#touch(ws, state);
    const decoded = decodeFrame(message);
    if (!decoded.ok) {
      log.warn('bad tunnel frame', {
        code: decoded.code,
        detail: decoded.message,
        agentId: state.agentId,
      });
      this.#send(ws, {
        type: 'error',
        code: decoded.code,
        message: decoded.message,
        ...(decoded.id ? { id: decoded.id } : {}),
      });
      return;
    }
    const frame = decoded.frame;
    if (frame.type === 'hello') {
      this.#hello(ws, state, frame.versions, frame.agentId, frame.agentVersion);
      return;
    }
    if (frame.type === 'ping') {
      this.#send(ws, { type: 'pong' });
      return;
    }
    if (frame.type === 'pong') return;
    if (state.version === undefined) {
      this.#send(ws, { type: 'error', code: 'not_negotiated', message: 'send hello first' });
      return;
    }
    switch (frame.type) {
      case 'data':
        this.#streams.onData(state.socketId, frame.id, frame.payload);
        return;
      case 'response':
        this.#streams.onResponse(state.socketId, frame.id, frame.status, frame.headers);
        return;
      case 'end':
        this.#streams.onEnd(state.socketId, frame.id);
        return;
      case 'error':
      case 'cancel': {
        if (frame.id === undefined) {
          const detail = frame.type === 'error' ? frame.message : frame.reason;
          log.warn('agent reported error', { agentId: state.agentId, detail });
          return;
        }
        this.#streams.onAgentAbort(
          state.socketId,
          frame.id,
          frame.type === 'error'
            ? `${frame.code}: ${frame.message}`
            : (frame.reason ?? 'cancelled by agent'),
        );
        return;
      }
      case 'inventory': {
        const outcome = this.#store.apply(state.agentId ?? '', frame.update);
        if (outcome.applied) this.#watchNodes(frame.update);
        if (outcome.applied) this.#send(ws, { type: 'ack', seq: outcome.seq });
        else this.#send(ws, { type: 'resync', reason: outcome.reason });
        return;
      }
      case 'batch':
        this.ctx.waitUntil(this.#onBatch(ws, state, frame));
        return;
      case 'agent-status':
        this.#store.setDegraded(state.agentId ?? '', frame.degraded);
        return;
      case 'quota-usage':
        this.ctx.waitUntil(this.#quotas.onUsage(this.#store.getMeta('clusterName') ?? '', frame));
        return;
      case 'role-projection-status':
        this.ctx.waitUntil(this.#projection.onStatus(frame));
        return;
      case 'delivery-state':
        this.ctx.waitUntil(
          this.#delivery.onState(this.#clusterName, state.socketId, frame, this.#sendTo),
        );
        return;
      case 'rules-health':
        this.ctx.waitUntil(this.#rules.onHealth(frame));
        return;
      case 'delivery-status':
        this.ctx.waitUntil(
          this.#delivery.onStatus(this.#clusterName, state.socketId, frame, this.#sendTo),
        );
        return;
      default:
        this.#send(ws, {
          type: 'error',
          code: 'unknown_type',
          message: `an agent may not send "${frame.type}" frames`,
        });
    }
  }

  /** Acks a spooled batch once its receiver committed it; a bad one is acked as rejected. */
  async #onBatch(ws: WebSocket, state: SocketState, frame: BatchFrame): Promise<void> {
    const cluster = this.#store.getMeta('clusterName') ?? '';
    try {
      const outcome = await ingestBatch(
        this.env,
        { id: this.ctx.id.name, name: cluster },
        state.agentId ?? '',
        frame,
      );
      if (!outcome.ok) {
        log.warn('rejected batch', {
          agentId: state.agentId,
          seq: frame.seq,
          kind: frame.kind,
          problem: outcome.problem,
        });
        this.#send(ws, {
          type: 'error',
          code: 'malformed',
          message: outcome.problem.slice(0, 4096),
        });
      }
      this.#send(ws, outcome.ack);
    } catch (error) {
      // Not acked: the agent sends it again.
      log.error('batch ingest failed', {
        agentId: state.agentId,
        seq: frame.seq,
        kind: frame.kind,
        error: String(error),
      });
      this.#send(ws, {
        type: 'error',
        code: 'internal',
        message: `batch ${frame.seq} not stored; send it again`,
      });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    this.#forget(ws, `agent disconnected (${code}${reason ? `: ${reason}` : ''})`);
    this.#close(ws, 1000, 'bye');
    this.#checkAgentVersions(ws);
    await this.#ensureAlarm(Date.now() + disconnectThresholdMs(this.env));
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    this.#forget(ws, `agent socket failed: ${String(error)}`);
    this.#checkAgentVersions(ws);
    await this.#ensureAlarm(Date.now() + disconnectThresholdMs(this.env));
  }

  /** Drops agents silent for longer than the liveness timeout; re-arms while any remain. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (!state) continue;
      const seen = this.#lastSeen(ws, state);
      if (now - seen >= this.#livenessMs) {
        this.#forget(ws, 'heartbeat timeout');
        this.#close(ws, CloseCodes.heartbeatTimeout, 'heartbeat timeout');
      } else next = Math.min(next, seen + this.#livenessMs);
    }
    // No live agent left: the built-in ClusterDisconnected alert (alerting owns the rule).
    if (!Number.isFinite(next)) {
      const clusterName = this.#store.getMeta('clusterName') ?? '';
      const lastSeen = Number(this.#store.getMeta('lastSeen') ?? 0);
      next = (await this.#disconnectRule.check(clusterName, lastSeen, now)) ?? next;
    }
    // NodeNotReady / EdgeNodeOffline timers share the alarm (alerting owns the rules).
    const nodesDue = await this.#nodeRules.check(this.#store.getMeta('clusterName') ?? '', now);
    if (nodesDue !== undefined) next = Math.min(next, nodesDue);
    if (Number.isFinite(next)) await this.ctx.storage.setAlarm(next);
  }

  /** Connection state and inventory summary, computed now (never a stale "connected"). */
  async status(): Promise<TunnelStatus> {
    const now = Date.now();
    const agents: AgentInfo[] = [];
    let lastSeen = Number(this.#store.getMeta('lastSeen') ?? 0);
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (!state || state.version === undefined) continue;
      const seen = this.#lastSeen(ws, state);
      lastSeen = Math.max(lastSeen, seen);
      if (now - seen < this.#livenessMs)
        agents.push({
          agentId: state.agentId ?? '',
          agentVersion: state.agentVersion ?? '',
          connectedAt: new Date(state.connectedAt).toISOString(),
          lastSeen: new Date(seen).toISOString(),
        });
    }
    const cluster = this.#store.cluster();
    const status: ClusterStatusName = agents.length
      ? 'connected'
      : this.#store.getMeta('everConnected')
        ? 'disconnected'
        : 'pending';
    return {
      status,
      agents: agents.length,
      lastSeen: lastSeen ? new Date(lastSeen).toISOString() : null,
      kubernetesVersion: cluster?.kubernetesVersion || null,
      platform: cluster?.platform || null,
      nodes: this.#store.nodeCounts(),
      namespaces: this.#store.namespaceCount(),
      connectedAgents: agents,
      degraded: this.#store.degraded(agents.map((a) => a.agentId)),
    };
  }

  /** Sends the cluster's workspace quotas to every connected agent (a PUT, or usage elsewhere changed). */
  async pushQuotas(): Promise<number> {
    return this.#quotas.push(this.#store.getMeta('clusterName') ?? '', (frame) => {
      let reached = 0;
      for (const ws of this.ctx.getWebSockets()) {
        if (this.#state(ws)?.version === undefined) continue;
        this.#send(ws, frame);
        reached++;
      }
      return reached;
    });
  }

  /** Recomputes the cluster's role projection; sends it to every agent only if it changed. */
  async pushRoleProjection(): Promise<ProjectionPush | undefined> {
    // The same mutations (placements, grants, cluster labels) can change the cluster's rules.
    this.ctx.waitUntil(this.pushRules().catch(() => undefined));
    return this.#projection.push(this.#store.getMeta('clusterName') ?? '', (frame) =>
      this.#broadcast(frame),
    );
  }

  /** Recompiles the cluster's alerting rules; sends them to every agent only if they changed. */
  async pushRules(): Promise<RulesPush | undefined> {
    return this.#rules.push(this.ctx.id.name ?? '', (frame) => this.#broadcast(frame));
  }

  /** The leader's last evaluation of these rules (all without ids), by rule id. */
  async rulesHealth(ids?: string[]): Promise<Record<string, StoredEvaluation>> {
    return this.#rules.health(ids);
  }

  /** An edit of these apps: their owed applies/deletes go to the cluster's leader now. */
  async pushDelivery(appIds: string[]): Promise<number> {
    return this.#delivery.push(this.#clusterName, appIds, this.#sendTo);
  }

  get #clusterName(): string {
    return this.#store.getMeta('clusterName') ?? '';
  }

  /** Delivery talks to one connection (the leader's), by its socket id. */
  readonly #sendTo = (connectionId: string, frame: DeliveryFrame): boolean => {
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (state?.socketId !== connectionId || state.version === undefined) continue;
      this.#send(ws, frame);
      return true;
    }
    return false;
  };

  /** The last projection pushed and the leading agent's last report on it. */
  async roleProjectionStatus() {
    return this.#projection.status();
  }

  async listNodes(options: {
    edgeOnly: boolean;
    after?: string;
    limit: number;
  }): Promise<InventoryPage<NodeSummary>> {
    return this.#store.nodes(options);
  }

  async listNamespaces(options: {
    after?: string;
    limit: number;
    only?: { workspaces: string[]; names: string[] };
  }): Promise<InventoryPage<NamespaceSummary>> {
    return this.#store.namespaces(options);
  }

  async listEvents(options: {
    after?: string;
    limit: number;
    only?: { workspaces: string[]; names: string[] };
  }): Promise<InventoryPage<EventSummary>> {
    return this.#store.events(options);
  }

  /**
   * Carries one HTTP request to the cluster through a live agent and returns
   * its response as it streams. Failures of the tunnel itself come back as
   * JSON responses marked with TUNNEL_ERROR_HEADER.
   */
  async #proxy(call: ProxyCall, body: ReadableStream<Uint8Array> | null): Promise<Response> {
    const socket = this.#pickSocket();
    if (!socket)
      return tunnelError(503, 'cluster_unreachable', 'No agent of this cluster is connected.');
    const timeoutMs = settings(this.env).tunnelResponseTimeoutSeconds * 1000;
    return this.#streams.open(socket, call, body, timeoutMs);
  }

  #hello(
    ws: WebSocket,
    state: SocketState,
    versions: number[],
    agentId: string,
    agentVersion: string,
  ): void {
    const version = negotiateVersion(versions);
    if (version === undefined) {
      this.#send(ws, {
        type: 'error',
        code: 'unsupported_version',
        message: `no common protocol version (edge speaks ${1})`,
      });
      this.#close(ws, CloseCodes.unsupportedVersion, 'unsupported protocol version');
      return;
    }
    state.agentId = agentId;
    state.agentVersion = agentVersion;
    state.version = version;
    ws.serializeAttachment(state);
    this.#store.setMeta('everConnected', '1');
    this.ctx.waitUntil(this.#disconnectRule.resolve(this.#store.getMeta('clusterName') ?? ''));
    this.#checkAgentVersions();
    const liveness = settings(this.env).tunnelLivenessSeconds;
    this.#send(ws, {
      type: 'welcome',
      version,
      cluster: this.#store.getMeta('clusterName') ?? '',
      heartbeatSeconds: liveness / 3,
      livenessSeconds: liveness,
      maxFrameBytes: MAX_FRAME_BYTES,
    });
    this.ctx.waitUntil(
      this.#quotas.push(
        this.#store.getMeta('clusterName') ?? '',
        (frame) => {
          this.#send(ws, frame);
          return 1;
        },
        { onlyIfEverPushed: true },
      ),
    );
    // Every connect (a new leader among them) gets the whole projection.
    this.ctx.waitUntil(
      this.#projection.push(
        this.#store.getMeta('clusterName') ?? '',
        (frame) => {
          this.#send(ws, frame);
          return 1;
        },
        { force: true },
      ),
    );
    // Every agent gets the whole rule set: whichever becomes leader evaluates at once.
    this.ctx.waitUntil(
      this.#rules.push(
        this.ctx.id.name ?? '',
        (frame) => {
          this.#send(ws, frame);
          return 1;
        },
        { force: true },
      ),
    );
  }

  /** Sends a frame to every negotiated agent socket; returns how many. */
  #broadcast(frame: ControlFrame): number {
    let reached = 0;
    for (const ws of this.ctx.getWebSockets()) {
      if (this.#state(ws)?.version === undefined) continue;
      this.#send(ws, frame);
      reached++;
    }
    return reached;
  }

  /** A socket is gone: fail its streams and remember when the cluster was last heard from. */
  #forget(ws: WebSocket, reason: string): void {
    const state = this.#state(ws);
    if (!state) return;
    this.#streams.failSocket(state.socketId, reason);
    this.ctx.waitUntil(this.#delivery.onSocketGone(this.#clusterName, state.socketId));
    if (state.version !== undefined) {
      const seen = this.#lastSeen(ws, state);
      const previous = Number(this.#store.getMeta('lastSeen') ?? 0);
      if (seen > previous) this.#store.setMeta('lastSeen', String(seen));
    }
  }

  /** Hands node changes to the node alert rules and arms the alarm for their next timer. */
  #watchNodes(update: InventoryUpdate): void {
    const clusterName = this.#store.getMeta('clusterName') ?? '';
    const { sent, nextDue } = this.#nodeRules.observe(clusterName, update);
    this.ctx.waitUntil(sent);
    if (nextDue !== undefined) this.ctx.waitUntil(this.#ensureAlarm(nextDue));
  }

  /** The set of connected agents changed (`leaving` is going): the AgentVersionSkew rule looks again. */
  #checkAgentVersions(leaving?: WebSocket): void {
    const versions: string[] = [];
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (ws === leaving || !state || state.version === undefined) continue;
      versions.push(state.agentVersion ?? '');
    }
    this.ctx.waitUntil(this.#skewRule.evaluate(this.#store.getMeta('clusterName') ?? '', versions));
  }

  /** The least busy live, negotiated agent socket. */
  #pickSocket(): { ws: WebSocket; socketId: string } | undefined {
    const now = Date.now();
    const busy = this.#streams.load();
    let best: { ws: WebSocket; socketId: string; load: number } | undefined;
    for (const ws of this.ctx.getWebSockets()) {
      const state = this.#state(ws);
      if (!state || state.version === undefined || ws.readyState !== WebSocket.READY_STATE_OPEN)
        continue;
      if (now - this.#lastSeen(ws, state) >= this.#livenessMs) continue;
      const load = busy.get(state.socketId) ?? 0;
      if (!best || load < best.load) best = { ws, socketId: state.socketId, load };
    }
    return best;
  }

  #state(ws: WebSocket): SocketState | undefined {
    return (ws.deserializeAttachment() as SocketState | null) ?? undefined;
  }

  #lastSeen(ws: WebSocket, state: SocketState): number {
    const autoResponded = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
    return Math.max(state.lastSeen, autoResponded);
  }

  /** Refreshes lastSeen, writing the attachment at most once a second. */
  #touch(ws: WebSocket, state: SocketState): void {
    const now = Date.now();
    if (now - state.lastSeen < 1000) return;
    state.lastSeen = now;
    ws.serializeAttachment(state);
  }

  async #ensureAlarm(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  #send(ws: WebSocket, frame: ControlFrame): void {
    try {
      ws.send(encodeControl(frame));
    } catch {
      // The socket is closing; its close handler cleans up.
    }
  }

  #close(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code, reason);
    } catch {
      // Already closed.
    }
  }
}

/** The binding of the cluster tunnels, for the modules that call them. */
export interface ClusterTunnelBinding {
  CLUSTER_TUNNEL: DurableObjectNamespace<ClusterTunnel>;
}

/** What the tunnel and the features it hosts use. */
export interface TunnelEnv
  extends BaseEnv,
    AlertGroupsBinding,
    MeteringStoreBinding,
    ClusterTunnelBinding {}
