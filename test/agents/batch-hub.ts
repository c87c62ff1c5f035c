import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  type BatchFrame,
  decodeFrame,
  encodeControl,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from '../../functions/tunnel/protocol';

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
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
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
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/agent/v1/connect' || req.headers.authorization !== `Bearer ${token}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      hub.connections++;
      sockets.add(ws);
      ws.on('close', () => sockets.delete(ws));
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? undefined : data.toString();
        if (text === HEARTBEAT_REQUEST) return void ws.send(HEARTBEAT_RESPONSE);
        const decoded = decodeFrame(text ?? (data as Buffer));
        if (!decoded.ok) return;
        const frame = decoded.frame;
        if (frame.type === 'hello')
          ws.send(
            encodeControl({
              type: 'welcome',
              version: PROTOCOL_VERSION,
              cluster: 'test',
              heartbeatSeconds: 15,
              livenessSeconds: 45,
              maxFrameBytes: MAX_FRAME_BYTES,
            }),
          );
        else if (frame.type === 'batch') {
          hub.received.push(frame);
          if (hub.mode === 'auto')
            ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  hub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  hub.close = async () => {
    for (const ws of wss.clients) ws.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
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
