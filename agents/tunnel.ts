import type { KubeConfig } from '@kubernetes/client-node';
import WebSocket from 'ws';
import type {
  DeliveryApplyFrame,
  DeliveryDeleteFrame,
  DeliveryStateFrame,
  DeliveryStatusFrame,
} from '../protocol/delivery';
import type { InventoryUpdate } from '../protocol/inventory';
import type { RoleProjectionFrame, RoleProjectionStatusFrame } from '../protocol/projection';
import type { QuotasFrame, QuotaUsageFrame } from '../protocol/quota-frames';
import type { RulesHealthFrame, RulesSyncFrame } from '../protocol/rules';
import {
  type AgentStatusFrame,
  type BatchAckFrame,
  type BatchFrame,
  type ControlFrame,
  decodeFrame,
  encodeControl,
  encodeDataParts,
  HEARTBEAT_REQUEST,
  MAX_FRAME_BYTES,
  SUPPORTED_VERSIONS,
  type WelcomeFrame,
} from '../protocol/tunnel';
import { createBackoff } from './backoff';
import type { Logger } from './log';
import { type ClusterProxy, createProxy } from './proxy';
import { ServedRequests } from './served-requests';

/** What the agent's main.ts passes to start the tunnel. */
export interface TunnelOptions {
  /** Base URL of the edge, e.g. https://edge.example.com (http(s), the path is ignored). */
  hubUrl: string;
  /** The cluster's join token (sent as `Authorization: Bearer`, never in the URL). */
  token: string;
  /** Stable id of this replica (pod name), so the edge can tell replicas apart. */
  agentId: string;
  agentVersion: string;
  /** Credentials and server used for proxied kube-apiserver requests. */
  kubeConfig: KubeConfig;
  /** In-cluster Prometheus for the monitoring passthrough, e.g. http://prometheus:9090. */
  prometheusUrl?: string | undefined;
  log: Logger;
  /** Reconnect backoff bounds (defaults 500 ms .. 30 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** Replaces the kube/Prometheus proxy (tests). */
  proxy?: ClusterProxy;
}

export type ConnectedReason = 'connected' | 'resync';

/** Edge → agent frames of the features the agent hosts (`on(type)`). */
export type EdgeFeatureFrame =
  | RoleProjectionFrame
  | DeliveryApplyFrame
  | DeliveryDeleteFrame
  | RulesSyncFrame;
/** Agent → edge frames of those features (`send`). */
export type AgentFeatureFrame =
  | RoleProjectionStatusFrame
  | DeliveryStatusFrame
  | DeliveryStateFrame
  | RulesHealthFrame;

export interface Tunnel {
  /**
   * Sends an inventory update to the edge. While disconnected updates are
   * dropped: after every reconnect `onConnected` fires, and the caller
   * pushes a fresh snapshot.
   */
  sendInventory(update: InventoryUpdate): void;
  /**
   * Called after every successful (re)connection and version negotiation,
   * and when the edge asks for a fresh snapshot (`reason: 'resync'`):
   * either way the caller should push a snapshot.
   */
  onConnected(cb: (reason: ConnectedReason) => void): void;
  /** Called when the edge acknowledged an inventory update with this seq. */
  onAck(cb: (seq: number) => void): void;
  /**
   * Sends a spooled batch (a frame, or its JSON text as the batch sender
   * builds it); false when not connected (the sender resends after reconnect).
   */
  sendBatch(frame: BatchFrame | string): boolean;
  /** Called when the edge is done with a spooled batch (committed or rejected for good). */
  onBatchAck(cb: (ack: BatchAckFrame) => void): void;
  /** Called with every `quotas` push; `reconnected` for the first one since the tunnel (re)connected. */
  onQuotas(cb: (frame: QuotasFrame, reconnected: boolean) => void): void;
  /** Sends the leader's quota usage report; false when not connected (the next report resends). */
  sendQuotaUsage(frame: QuotaUsageFrame): boolean;
  /** Sends what this replica cannot read; false when not connected (resend on connect). */
  sendStatus(frame: AgentStatusFrame): boolean;
  /** Called with every feature frame of `type` the edge sends. */
  on<T extends EdgeFeatureFrame['type']>(
    type: T,
    cb: (frame: Extract<EdgeFeatureFrame, { type: T }>) => void,
  ): void;
  /** Sends a feature frame; false when not connected (the feature sends again later). */
  send(frame: AgentFeatureFrame): boolean;
  /** Whether a tunnel socket is currently open and negotiated. */
  isConnected(): boolean;
  /** Stops reconnecting, cancels in-flight proxied streams and closes the socket. */
  close(): Promise<void>;
}

/** ws:// or wss:// URL of the connect endpoint on the hub. */
export function connectUrl(hubUrl: string): string {
  const url = new URL('/agent/v1/connect', hubUrl);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  return url.toString();
}

const toBytes = (data: WebSocket.RawData): Uint8Array =>
  Array.isArray(data)
    ? Buffer.concat(data)
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : data;

/**
 * Dials `GET <hub>/agent/v1/connect` and keeps the tunnel up forever
 * (jittered exponential backoff, capped at 30 s), serving proxied requests.
 */
export function startTunnel(options: TunnelOptions): Tunnel {
  const { log } = options;
  const url = connectUrl(options.hubUrl);
  const backoff = createBackoff(options.backoff ?? { initialMs: 500, maxMs: 30_000 });
  const proxy = options.proxy ?? createProxy(options);
  const connectedCallbacks: ((reason: ConnectedReason) => void)[] = [];
  const ackCallbacks: ((seq: number) => void)[] = [];
  const quotaCallbacks: ((frame: QuotasFrame, reconnected: boolean) => void)[] = [];
  let quotasSinceWelcome = false;
  const batchAckCallbacks: ((ack: BatchAckFrame) => void)[] = [];
  const featureCallbacks = new Map<string, ((frame: EdgeFeatureFrame) => void)[]>();
  let served: ServedRequests | undefined;
  let socket: WebSocket | undefined;
  let welcome: WelcomeFrame | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let lastHeard = 0;
  let stopped = false;

  const sendControl = (ws: WebSocket, frame: ControlFrame) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeControl(frame));
  };

  const notify = (reason: ConnectedReason) => {
    for (const cb of connectedCallbacks) {
      try {
        cb(reason);
      } catch (error) {
        log.error('onConnected callback failed', { error });
      }
    }
  };

  function onFrame(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): void {
    lastHeard = Date.now();
    const decoded = decodeFrame(isBinary ? toBytes(data) : toBytes(data).toString());
    if (!decoded.ok) {
      log.warn('bad frame from the edge', { code: decoded.code, message: decoded.message });
      sendControl(ws, {
        type: 'error',
        code: decoded.code,
        message: decoded.message,
        ...(decoded.id ? { id: decoded.id } : {}),
      });
      return;
    }
    const frame = decoded.frame;
    switch (frame.type) {
      case 'welcome':
        welcome = frame;
        quotasSinceWelcome = false;
        backoff.reset();
        startHeartbeat(ws, frame);
        log.info('tunnel connected', { version: frame.version, cluster: frame.cluster });
        notify('connected');
        return;
      case 'request':
        if (welcome) served?.serve(frame);
        return;
      case 'data':
        served?.requestData(frame.id, frame.payload);
        return;
      case 'end':
        served?.requestEnd(frame.id);
        return;
      case 'window':
        served?.grant(frame.id, frame.bytes);
        return;
      case 'cancel':
        served?.drop(frame.id);
        return;
      case 'ack':
        for (const cb of ackCallbacks) cb(frame.seq);
        return;
      case 'batch-ack':
        for (const cb of batchAckCallbacks) cb(frame);
        return;
      case 'quotas': {
        const reconnected = !quotasSinceWelcome;
        quotasSinceWelcome = true;
        for (const cb of quotaCallbacks) cb(frame, reconnected);
        return;
      }
      case 'role-projection':
      case 'delivery-apply':
      case 'delivery-delete':
      case 'rules-sync':
        for (const cb of featureCallbacks.get(frame.type) ?? []) {
          try {
            cb(frame);
          } catch (error) {
            log.error('feature frame handler failed', { type: frame.type, error });
          }
        }
        return;
      case 'resync':
        log.info('edge asked for an inventory snapshot', { reason: frame.reason });
        notify('resync');
        return;
      case 'error':
        log.warn('edge reported an error', {
          id: frame.id,
          code: frame.code,
          message: frame.message,
        });
        if (frame.id !== undefined) served?.drop(frame.id);
        return;
      case 'ping':
        sendControl(ws, { type: 'pong' });
        return;
      case 'pong':
        return;
      default:
        sendControl(ws, {
          type: 'error',
          code: 'unknown_type',
          message: `an edge may not send "${frame.type}" frames`,
        });
    }
  }

  function startHeartbeat(ws: WebSocket, w: WelcomeFrame): void {
    stopHeartbeat();
    heartbeat = setInterval(() => {
      if (Date.now() - lastHeard > w.livenessSeconds * 1000) {
        log.warn('edge silent past the liveness timeout; reconnecting', {
          seconds: w.livenessSeconds,
        });
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.send(HEARTBEAT_REQUEST);
    }, w.heartbeatSeconds * 1000);
    heartbeat.unref?.();
  }

  function stopHeartbeat(): void {
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = undefined;
  }

  function scheduleReconnect(): void {
    if (stopped) return;
    const delay = backoff.next();
    log.info('tunnel reconnecting', { inMs: delay });
    reconnectTimer = setTimeout(connect, delay);
  }

  function connect(): void {
    if (stopped) return;
    welcome = undefined;
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${options.token}` },
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      handshakeTimeout: 15_000,
      // An all-zero masking key lets ws skip XOR-ing every payload byte in JS.
      // Masking guards caching intermediaries against scripts in browsers;
      // this client is not a browser, and TLS carries the tunnel.
      generateMask: () => {},
    });
    socket = ws;
    const requests = new ServedRequests(proxy, {
      control: (frame) => sendControl(ws, frame),
      data: (id, pieces) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(encodeDataParts(id, pieces));
      },
    });
    served = requests;
    ws.on('open', () => {
      lastHeard = Date.now();
      sendControl(ws, {
        type: 'hello',
        versions: [...SUPPORTED_VERSIONS],
        agentId: options.agentId,
        agentVersion: options.agentVersion,
      });
    });
    ws.on('message', (data, isBinary) => {
      try {
        onFrame(ws, data, isBinary);
      } catch (error) {
        log.error('tunnel frame handling failed', { error });
      }
    });
    ws.on('error', (error) => log.warn('tunnel socket error', { error }));
    ws.on('close', (code, reason) => {
      if (socket === ws) socket = undefined;
      const wasConnected = welcome !== undefined;
      welcome = undefined;
      stopHeartbeat();
      requests.dropAll();
      log.info('tunnel closed', { code, reason: reason.toString(), wasConnected });
      scheduleReconnect();
    });
  }

  connect();

  return {
    sendInventory(update) {
      const ws = socket;
      if (!ws || !welcome) return;
      sendControl(ws, { type: 'inventory', update });
    },
    onConnected(cb) {
      connectedCallbacks.push(cb);
    },
    onAck(cb) {
      ackCallbacks.push(cb);
    },
    onQuotas(cb) {
      quotaCallbacks.push(cb);
    },
    sendStatus(frame) {
      const ws = socket;
      if (!ws || !welcome || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(encodeControl(frame));
      return true;
    },
    sendQuotaUsage(frame) {
      const ws = socket;
      if (!ws || !welcome || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(encodeControl(frame));
      return true;
    },
    sendBatch(frame) {
      const ws = socket;
      if (!ws || !welcome || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(typeof frame === 'string' ? frame : encodeControl(frame));
      return true;
    },
    onBatchAck(cb) {
      batchAckCallbacks.push(cb);
    },
    on(type, cb) {
      const list = featureCallbacks.get(type) ?? [];
      list.push(cb as (frame: EdgeFeatureFrame) => void);
      featureCallbacks.set(type, list);
    },
    send(frame) {
      const ws = socket;
      if (!ws || !welcome || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(encodeControl(frame));
      return true;
    },
    isConnected: () => welcome !== undefined && socket?.readyState === WebSocket.OPEN,
    async close() {
      stopped = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      stopHeartbeat();
      served?.dropAll();
      const ws = socket;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
        ws.close(1000, 'agent stopping');
        const timer = setTimeout(() => ws.terminate(), 2000);
        await closed;
        clearTimeout(timer);
      }
      if (!options.proxy) proxy.close();
    },
  };
}
