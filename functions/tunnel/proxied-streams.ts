import {
  type ControlFrame,
  chunks,
  DEFAULT_STREAM_WINDOW,
  encodeControl,
  encodeData,
  type Impersonation,
  type ProxyTarget,
  type RequestFrame,
  strippedResponseHeaders,
} from '../../protocol/tunnel';
import { FlowControlledBody } from './flow-controlled-body';

/** A request the worker asks the tunnel to carry. */
export interface ProxyCall {
  target: ProxyTarget;
  method: RequestFrame['method'];
  path: string;
  headers: [string, string][];
  impersonate?: Impersonation;
}

/** Header that marks a response made by the tunnel itself (not the cluster). */
export const TUNNEL_ERROR_HEADER = 'x-edgetower-tunnel-error';

/** A JSON error response of the tunnel itself, marked so the worker renders it in the app's shape. */
export function tunnelError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ code, message }), {
    status,
    headers: { 'content-type': 'application/json', [TUNNEL_ERROR_HEADER]: code },
  });
}

/** The agent socket a stream runs on. */
export interface StreamSocket {
  socketId: string;
  ws: WebSocket;
}

interface Stream {
  id: number;
  socket: StreamSocket;
  resolveHead: (response: Response) => void;
  headTimer: ReturnType<typeof setTimeout>;
  body?: FlowControlledBody;
}

const nullBodyStatuses = new Set([101, 204, 205, 304]);

function send(ws: WebSocket, frame: ControlFrame): void {
  try {
    ws.send(encodeControl(frame));
  } catch {
    // The socket is closing; its close handler fails the stream.
  }
}

/**
 * The proxied requests in flight in one ClusterTunnel: stream ids, the
 * response head each caller waits for, the flow-controlled bodies, and
 * failing them when their socket goes away. In memory only: while any
 * stream is open the object is awake, so nothing here needs to survive
 * hibernation.
 */
export class ProxiedStreams {
  readonly #streams = new Map<number, Stream>();
  // Random start so ids of streams from before an eviction are not reused.
  #nextId = 1 + Math.floor(Math.random() * 0x7fffffff);

  /** Open streams per socket id: how the tunnel picks the least busy agent. */
  load(): Map<string, number> {
    const load = new Map<string, number>();
    for (const stream of this.#streams.values())
      load.set(stream.socket.socketId, (load.get(stream.socket.socketId) ?? 0) + 1);
    return load;
  }

  /** Sends REQUEST (and the body) on `socket`; resolves with the response head, or a tunnel error. */
  async open(
    socket: StreamSocket,
    call: ProxyCall,
    body: ReadableStream<Uint8Array> | null,
    responseTimeoutMs: number,
  ): Promise<Response> {
    const id = this.#allocateId();
    const head = new Promise<Response>((resolve) => {
      const headTimer = setTimeout(() => {
        if (!this.#streams.delete(id)) return;
        send(socket.ws, { type: 'cancel', id, reason: 'response timeout' });
        resolve(tunnelError(504, 'gateway_timeout', 'The cluster did not answer in time.'));
      }, responseTimeoutMs);
      this.#streams.set(id, { id, socket, resolveHead: resolve, headTimer });
    });
    const frame: RequestFrame = {
      type: 'request',
      id,
      target: call.target,
      method: call.method,
      path: call.path,
      headers: call.headers,
      body: body !== null,
      window: DEFAULT_STREAM_WINDOW,
    };
    if (call.impersonate) frame.impersonate = call.impersonate;
    send(socket.ws, frame);
    if (body) await this.#sendBody(socket.ws, id, body);
    return head;
  }

  onResponse(socketId: string, id: number, status: number, headers: [string, string][]): void {
    const stream = this.#own(socketId, id);
    if (!stream || stream.body) return;
    clearTimeout(stream.headTimer);
    const responseHeaders = new Headers();
    for (const [name, value] of headers) {
      if (strippedResponseHeaders.has(name.toLowerCase())) continue;
      try {
        responseHeaders.append(name, value);
      } catch {
        // A header the runtime refuses (bad characters) is dropped, not fatal.
      }
    }
    if (nullBodyStatuses.has(status) || status < 200) {
      // Nothing to stream; END (or a stray DATA) is ignored once the stream is gone.
      this.#streams.delete(id);
      stream.resolveHead(
        new Response(null, { status: status < 200 ? 502 : status, headers: responseHeaders }),
      );
      return;
    }
    const ws = stream.socket.ws;
    stream.body = new FlowControlledBody(
      DEFAULT_STREAM_WINDOW,
      (bytes) => send(ws, { type: 'window', id, bytes }),
      (reason) => {
        if (this.#streams.delete(id)) send(ws, { type: 'cancel', id, reason });
      },
    );
    stream.resolveHead(new Response(stream.body.stream, { status, headers: responseHeaders }));
  }

  onData(socketId: string, id: number, payload: Uint8Array): void {
    const stream = this.#own(socketId, id);
    if (!stream?.body) return; // cancelled or finished: late bytes are dropped
    // A view of this message's own buffer: nothing reuses it, no copy needed.
    if (!stream.body.push(payload)) {
      send(stream.socket.ws, {
        type: 'error',
        id,
        code: 'malformed',
        message: 'sent beyond the flow-control window',
      });
      this.#fail(stream, 'agent exceeded the flow-control window', true);
    }
  }

  onEnd(socketId: string, id: number): void {
    const stream = this.#own(socketId, id);
    if (!stream) return;
    this.#streams.delete(id);
    clearTimeout(stream.headTimer);
    if (stream.body) stream.body.end();
    else
      stream.resolveHead(
        tunnelError(502, 'bad_gateway', 'The agent ended the stream without a response.'),
      );
  }

  /** The agent gave up on a stream (ERROR or CANCEL with its id). */
  onAgentAbort(socketId: string, id: number, reason: string): void {
    const stream = this.#own(socketId, id);
    if (stream) this.#fail(stream, reason, false);
  }

  /** A socket went away: its streams fail (502 before the head, an aborted body after). */
  failSocket(socketId: string, reason: string): void {
    for (const stream of [...this.#streams.values()])
      if (stream.socket.socketId === socketId) this.#fail(stream, reason, false);
  }

  failAll(reason: string): void {
    for (const stream of [...this.#streams.values()]) this.#fail(stream, reason, true);
  }

  async #sendBody(ws: WebSocket, id: number, body: ReadableStream<Uint8Array>): Promise<void> {
    // Request bodies are bounded by the app's body limit (1 MiB), so they go
    // out at once; flow control matters for the unbounded response side.
    for await (const chunk of body) {
      if (!this.#streams.has(id)) return;
      for (const piece of chunks(chunk)) ws.send(encodeData(id, piece));
    }
    send(ws, { type: 'end', id });
  }

  #own(socketId: string, id: number): Stream | undefined {
    const stream = this.#streams.get(id);
    return stream && stream.socket.socketId === socketId ? stream : undefined;
  }

  #fail(stream: Stream, reason: string, notifyAgent: boolean): void {
    this.#streams.delete(stream.id);
    clearTimeout(stream.headTimer);
    if (notifyAgent) send(stream.socket.ws, { type: 'cancel', id: stream.id, reason });
    if (stream.body) stream.body.fail(new Error(reason));
    else
      stream.resolveHead(tunnelError(502, 'bad_gateway', `The cluster request failed: ${reason}`));
  }

  #allocateId(): number {
    let id = this.#nextId;
    while (this.#streams.has(id)) id = (id % 0xfffffffe) + 1;
    this.#nextId = (id % 0xfffffffe) + 1;
    return id;
  }
}
