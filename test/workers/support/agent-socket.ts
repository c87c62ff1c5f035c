import { exports } from 'cloudflare:workers';
import { ClusterTunnel } from '../../../functions/tunnel/cluster-tunnel';
import type { RoleProjectionFrame } from '../../../protocol/projection';
import type { RulesSyncFrame } from '../../../protocol/rules';
import {
  type ControlFrame,
  decodeFrame,
  encodeControl,
  encodeData,
  type Frame,
  PROTOCOL_VERSION,
} from '../../../protocol/tunnel';

export interface Closed {
  type: 'closed';
  code: number;
  reason: string;
}
export type Received = Frame | Closed;

/**
 * A fake agent on the real /agent/v1/connect route: sends frames, reads the
 * edge's frames in order. `send` and `sendData` resolve once ClusterTunnel
 * has handled the frame, so frames sent one after another (awaited) reach it
 * in order, as over a real socket; `sendRaw` does not wait (heartbeats,
 * malformed frames and bursts whose order does not matter).
 */
export interface TestAgent {
  ws: WebSocket;
  send(frame: ControlFrame): Promise<void>;
  sendRaw(message: string | ArrayBuffer | Uint8Array): void;
  sendData(id: number, bytes: Uint8Array | string): Promise<void>;
  /** The next frame from the edge (decoded), or throws after `timeoutMs`. */
  next(timeoutMs?: number): Promise<Received>;
  /** Role projections the edge sent, oldest first (kept apart from `next`). */
  projections: RoleProjectionFrame[];
  /** Alerting rule sets the edge sent, oldest first (kept apart from `next` like projections). */
  rulesSyncs: RulesSyncFrame[];
  /** Skips frames until one of `type` arrives. */
  nextOf<T extends Received['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<Received, { type: T }>>;
}

/*
 * Why the fake agent waits for each frame to be handled: under
 * @cloudflare/vitest-pool-workers the Durable Object class is wrapped, and the
 * wrapper awaits a module import (a round trip to the runner object) before
 * every webSocketMessage call. Frames sent back to back are therefore handled
 * concurrently and reach ClusterTunnel in whatever order those round trips
 * finish (under CPU load often reversed: END before RESPONSE, a 502). The
 * runtime itself delivers a socket's messages in order, so this is a harness
 * artefact; the product handler is left untouched and only observed here.
 */
const handled: (string | Uint8Array)[] = [];
const observed = Symbol.for('edgetower.test.observedWebSocketMessage');
const prototype = ClusterTunnel.prototype as ClusterTunnel & { [observed]?: true };
if (!prototype[observed]) {
  const original = prototype.webSocketMessage;
  prototype.webSocketMessage = async function (ws, message) {
    try {
      return await original.call(this, ws, message);
    } finally {
      handled.push(typeof message === 'string' ? message : new Uint8Array(message.slice(0)));
    }
  };
  prototype[observed] = true;
}

function sameMessage(a: string | Uint8Array, b: string | Uint8Array): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
}

/** Resolves once ClusterTunnel has handled `message` (polls: the handler runs in the object's context). */
async function handledByEdge(message: string | Uint8Array, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const at = handled.findIndex((seen) => sameMessage(seen, message));
    if (at >= 0) {
      handled.splice(at, 1);
      return;
    }
    if (Date.now() > deadline) throw new Error('the edge did not handle the frame in time');
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

export async function openAgentSocket(token: string | undefined): Promise<Response> {
  const headers: Record<string, string> = { upgrade: 'websocket' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return exports.default.fetch('https://edge.test/agent/v1/connect', { headers });
}

/** Connects and completes HELLO/WELCOME, reporting `agentVersion` (not a release by default). */
export async function connectAgent(
  token: string,
  agentId = 'agent-a',
  agentVersion = 'test',
): Promise<TestAgent> {
  const res = await openAgentSocket(token);
  if (res.status !== 101 || !res.webSocket)
    throw new Error(`connect failed: ${res.status} ${await res.text()}`);
  const ws = res.webSocket;
  const inbox: Received[] = [];
  const projections: RoleProjectionFrame[] = [];
  const rulesSyncs: RulesSyncFrame[] = [];
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
      // Every hello is answered with the cluster's role projection too; tests
      // of other frames never see it, tests of projection read `projections`.
      if (decoded.frame.type === 'role-projection') projections.push(decoded.frame);
      else if (decoded.frame.type === 'rules-sync') rulesSyncs.push(decoded.frame);
      else inbox.push(decoded.frame);
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
    projections,
    rulesSyncs,
    async send(frame) {
      const message = encodeControl(frame);
      ws.send(message);
      await handledByEdge(message);
    },
    sendRaw: (message) => ws.send(message),
    async sendData(id, bytes) {
      const message = encodeData(id, typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
      ws.send(message);
      await handledByEdge(message);
    },
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
  await agent.send({ type: 'hello', versions: [PROTOCOL_VERSION], agentId, agentVersion });
  await agent.nextOf('welcome');
  return agent;
}
