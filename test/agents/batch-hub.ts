import { KubeConfig } from '@kubernetes/client-node';
import type { WebSocket } from 'ws';
import { type BatchFrame, encodeControl } from '../../protocol/tunnel';
import { startFakeEdge } from '../support/fake-edge';

/**
 * A stand-in for the edge for batch transport tests: negotiates the
 * tunnel, records every `batch` frame it receives (resends included), and
 * acks them at once or only when the test says so.
 */
export interface BatchHub {
  url: string;
  /** Every batch frame received, in arrival order, resends included. */
  received: BatchFrame[];
  connections: number;
  /** "auto": ack on arrival; "hold": the test acks with ack(). */
  mode: 'auto' | 'hold';
  ack(seq: number, rejected?: string): void;
  /** Closes every agent socket (the agent reconnects). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startBatchHub(token = 'hub-token'): Promise<BatchHub> {
  const sockets = new Set<WebSocket>();
  const hub: BatchHub = {
    url: '',
    received: [],
    connections: 0,
    mode: 'auto',
    ack(seq, rejected) {
      const frame = hub.received.find((b) => b.seq === seq);
      for (const ws of sockets)
        ws.send(
          encodeControl({
            type: 'batch-ack',
            seq,
            kind: frame?.kind ?? 'metering',
            ...(rejected ? { rejected } : {}),
          }),
        );
    },
    dropConnections() {
      for (const ws of sockets) ws.terminate();
    },
    close: async () => {},
  };
  const edge = await startFakeEdge({
    token,
    cluster: 'test',
    onConnection(ws) {
      hub.connections++;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
    },
    onFrame(ws, frame) {
      if (frame.type !== 'batch') return;
      hub.received.push(frame);
      if (hub.mode === 'auto')
        ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
    },
  });
  hub.url = edge.url;
  hub.close = edge.close;
  return hub;
}

/** A kubeconfig that points nowhere: transport tests proxy nothing. */
export function unusedKubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'none', server: 'http://127.0.0.1:9', skipTLSVerify: true }],
    users: [{ name: 'none' }],
    contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
    currentContext: 'none',
  });
  return kc;
}
