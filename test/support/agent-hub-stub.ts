import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { InventoryUpdate } from '../../functions/tunnel/inventory';
import {
  decodeFrame,
  encodeControl,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from '../../functions/tunnel/protocol';

/**
 * A stand-in for the edge that only does what an agent benchmark needs:
 * accepts the tunnel WebSocket with the expected token, negotiates, answers
 * heartbeats, records inventory updates (with arrival time and size) and
 * acknowledges them. No proxying.
 */
export interface ReceivedInventory {
  update: InventoryUpdate;
  bytes: number;
  at: number;
}

/** A spooled batch as the stub saw it (metering: its window end and pod count). */
export interface ReceivedBatch {
  kind: string;
  bytes: number;
  at: number;
  windowEnd?: number;
  pods: number;
}

export interface HubStub {
  url: string;
  received: ReceivedInventory[];
  /** Spooled batches (metering, alerts) received and acked. */
  batches: ReceivedBatch[];
  connections: number;
  close(): Promise<void>;
}

export async function startHubStub(token: string): Promise<HubStub> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  const stub: HubStub = {
    url: '',
    received: [],
    batches: [],
    connections: 0,
    close: async () => {},
  };

  server.on('upgrade', (req, socket, head) => {
    if (req.url !== '/agent/v1/connect' || req.headers.authorization !== `Bearer ${token}`) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      stub.connections++;
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? undefined : data.toString();
        if (text === HEARTBEAT_REQUEST) return void ws.send(HEARTBEAT_RESPONSE);
        const decoded = decodeFrame(isBinary ? (data as Buffer) : (text as string));
        if (!decoded.ok) return;
        const frame = decoded.frame;
        if (frame.type === 'hello') {
          ws.send(
            encodeControl({
              type: 'welcome',
              version: PROTOCOL_VERSION,
              cluster: 'bench',
              heartbeatSeconds: 15,
              livenessSeconds: 45,
              maxFrameBytes: MAX_FRAME_BYTES,
            }),
          );
        } else if (frame.type === 'inventory') {
          stub.received.push({ update: frame.update, bytes: text?.length ?? 0, at: Date.now() });
          ws.send(encodeControl({ type: 'ack', seq: frame.update.seq }));
        } else if (frame.type === 'batch') {
          // Spooled batches (metering) are acked as the edge would, so the agent does not hoard them.
          const payload = frame.payload as { windowEnd?: unknown; pods?: unknown[] } | null;
          stub.batches.push({
            kind: frame.kind,
            bytes: text?.length ?? 0,
            at: Date.now(),
            windowEnd: typeof payload?.windowEnd === 'number' ? payload.windowEnd : undefined,
            pods: Array.isArray(payload?.pods) ? payload.pods.length : 0,
          });
          ws.send(encodeControl({ type: 'batch-ack', seq: frame.seq, kind: frame.kind }));
        }
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = async () => {
    for (const client of wss.clients) client.terminate();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return stub;
}
