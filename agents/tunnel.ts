import type { KubeConfig } from '@kubernetes/client-node';
import type { InventoryUpdate } from '../functions/tunnel/inventory';
import type { Logger } from './log';

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
  prometheusUrl?: string;
  log: Logger;
}

export interface Tunnel {
  /**
   * Queue an inventory update for the edge. Sent when connected; while
   * disconnected only the newest snapshot and the deltas after it are kept,
   * and `onConnected` callbacks fire after each reconnect so the caller can
   * push a fresh snapshot.
   */
  sendInventory(update: InventoryUpdate): void;
  /** Called after every successful (re)connection and version negotiation. */
  onConnected(cb: () => void): void;
  /** Called when the edge acknowledged an inventory update with this seq. */
  onAck(cb: (seq: number) => void): void;
  /** Whether a tunnel socket is currently open and negotiated. */
  isConnected(): boolean;
  /** Stops reconnecting, cancels in-flight proxied streams and closes the socket. */
  close(): Promise<void>;
}

/**
 * Dials `GET <hub>/agent/v1/connect` and keeps the tunnel up forever
 * (jittered exponential backoff, capped at 30 s), serving proxied requests.
 */
export function startTunnel(options: TunnelOptions): Tunnel {
  void options;
  throw new Error('startTunnel: not implemented yet');
}
