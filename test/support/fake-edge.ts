import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import {
  decodeFrame,
  encodeControl,
  type Frame,
  HEARTBEAT_REQUEST,
  HEARTBEAT_RESPONSE,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from '../../protocol/tunnel';

/**
 * The part of the edge every agent-side stand-in needs: accepts the tunnel
 * WebSocket on /agent/v1/connect with `token` (401 otherwise), answers
 * heartbeats and HELLO (welcome as `cluster`), and hands every other frame
 * to `onFrame` with its socket and, for text frames, the text (for sizes).
 */
export interface FakeEdgeOptions {
  token: string;
  cluster: string;
  onConnection(ws: WebSocket): void;
  onFrame(ws: WebSocket, frame: Frame, text: string | undefined): void;
}

export interface FakeEdge {
  url: string;
  close(): Promise<void>;
}

export async function startFakeEdge(options: FakeEdgeOptions): Promise<FakeEdge> {
  const server = createServer((_req, res) => {
    res.writeHead(404);
    res.end();
  });
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (req, socket, head) => {
    if (
      req.url !== '/agent/v1/connect' ||
      req.headers.authorization !== `Bearer ${options.token}`
    ) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      options.onConnection(ws);
      ws.on('message', (data, isBinary) => {
        const text = isBinary ? undefined : data.toString();
        if (text === HEARTBEAT_REQUEST) return void ws.send(HEARTBEAT_RESPONSE);
        const decoded = decodeFrame(text ?? (data as Buffer));
        if (!decoded.ok) return;
        if (decoded.frame.type === 'hello')
          ws.send(
            encodeControl({
              type: 'welcome',
              version: PROTOCOL_VERSION,
              cluster: options.cluster,
              heartbeatSeconds: 15,
              livenessSeconds: 45,
              maxFrameBytes: MAX_FRAME_BYTES,
            }),
          );
        else options.onFrame(ws, decoded.frame, text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
