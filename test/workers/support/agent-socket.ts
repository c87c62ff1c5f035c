import { exports } from 'cloudflare:workers';
import {
  type ControlFrame,
  decodeFrame,
  encodeControl,
  encodeData,
  type Frame,
  PROTOCOL_VERSION,
} from '../../../functions/tunnel/protocol';

export interface Closed {
  type: 'closed';
  code: number;
  reason: string;
}
export type Received = Frame | Closed;

/** A fake agent on the real /agent/v1/connect route: sends frames, reads the edge's frames in order. */
export interface TestAgent {
  ws: WebSocket;
  send(frame: ControlFrame): void;
  sendRaw(message: string | ArrayBuffer | Uint8Array): void;
  sendData(id: number, bytes: Uint8Array | string): void;
  /** The next frame from the edge (decoded), or throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Received>;
  /** Skips frames until one of `type` arrives. */
  nextOf<T extends Received['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<Received, { type: T }>>;
}

export async function openAgentSocket(token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { upgrade: 'websocket' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return exports.default.fetch('https://edge.test/agent/v1/connect', { headers });
}

/** Connects and completes HELLO/WELCOME. */
export async function connectAgent(token: string, agentId = 'agent-a'): Promise<TestAgent> {
  const res = await openAgentSocket(token);
  if (res.status !== 101 || !res.webSocket)
    throw new Error(`connect failed: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const inbox: Received[] = [];
  const waiters: (() => void)[] = [];
  const wake = () => {
    for (const w of waiters.splice(0)) w();
  };
  // Binary messages arrive as Blobs here; a promise chain keeps frames in order.
  let arrival = Promise.resolve();
  ws.addEventListener('message', (event) => {
    const data = event.data as string | ArrayBuffer | Blob;
    arrival = arrival.then(async () => {
      const message = data instanceof Blob ? await data.arrayBuffer() : data;
      const decoded = decodeFrame(message);
      if (!decoded.ok) throw new Error(`edge sent an undecodable frame: ${decoded.message}`);
      inbox.push(decoded.frame);
      wake();
    });
  });
  ws.addEventListener('close', (event) => {
    arrival = arrival.then(() => {
      inbox.push({ type: 'closed', code: event.code, reason: event.reason });
      wake();
    });
  });
  ws.accept();
  const encoder = new TextEncoder();
  const agent: TestAgent = {
    ws,
    send: (frame) => ws.send(encodeControl(frame)),
    sendRaw: (message) => ws.send(message),
    sendData: (id, bytes) =>
      ws.send(encodeData(id, typeof bytes === 'string' ? encoder.encode(bytes) : bytes)),
    async next(timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no frame from the edge in time');
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 50);
        });
      }
      return inbox.shift()!;
    },
    async nextOf(type, timeoutMs = 2000) {
      for (;;) {
        const frame = await agent.next(timeoutMs);
        if (frame.type === type) return frame as never;
        if (frame.type === 'closed')
          throw new Error(`socket closed (${frame.code}) waiting for ${type}`);
      }
    },
  };
  agent.send({ type: 'hello', versions: [PROTOCOL_VERSION], agentId, agentVersion: 'test' });
  await agent.nextOf('welcome');
  return agent;
}
