import { PassThrough, type Readable } from 'node:stream';
import type { ControlFrame, RequestFrame } from '../protocol/tunnel';
import { type ClusterProxy, ProxyError } from './proxy';
import { OutboundStream } from './tunnel-stream';

/** How served requests talk back on their tunnel socket. */
export interface RequestOutput {
  control(frame: ControlFrame): void;
  data(id: number, pieces: Uint8Array[]): void;
}

interface Served {
  abort: AbortController;
  requestBody?: PassThrough;
  upstream?: Readable;
  out?: OutboundStream;
}

/**
 * The proxied requests one tunnel socket is serving: each REQUEST opens an
 * upstream call, its body streams back within the stream's window, and
 * CANCEL, an ERROR from the edge or the socket closing abort it upstream
 * (which closes a watch at the API server).
 */
export class ServedRequests {
  readonly #served = new Map<number, Served>();
  readonly #proxy: ClusterProxy;
  readonly #output: RequestOutput;

  constructor(proxy: ClusterProxy, output: RequestOutput) {
    this.#proxy = proxy;
    this.#output = output;
  }

  get size(): number {
    return this.#served.size;
  }

  serve(frame: RequestFrame): void {
    const { id } = frame;
    if (this.#served.has(id)) {
      this.#output.control({ type: 'error', id, code: 'malformed', message: 'stream id in use' });
      return;
    }
    const served: Served = { abort: new AbortController() };
    if (frame.body) served.requestBody = new PassThrough();
    this.#served.set(id, served);
    this.#proxy
      .open(frame, served.requestBody ?? null, served.abort.signal)
      .then((response) => {
        if (!this.#served.has(id)) {
          response.body.destroy();
          return;
        }
        served.upstream = response.body;
        this.#output.control({
          type: 'response',
          id,
          status: response.status,
          headers: response.headers,
        });
        const out = new OutboundStream(frame.window, {
          data: (pieces) => this.#output.data(id, pieces),
          end: () => {
            this.#served.delete(id);
            this.#output.control({ type: 'end', id });
          },
          pause: () => response.body.pause(),
          resume: () => response.body.resume(),
        });
        served.out = out;
        response.body.on('data', (chunk: Buffer) => out.write(chunk));
        response.body.on('end', () => out.end());
        response.body.on('error', (error) => this.#fail(id, 'upstream_unreachable', error.message));
      })
      .catch((error: unknown) => {
        if (error instanceof ProxyError) this.#fail(id, error.code, error.message);
        else if (served.abort.signal.aborted) this.drop(id);
        else this.#fail(id, 'internal', error instanceof Error ? error.message : String(error));
      });
  }

  /** Request body bytes from the edge. */
  requestData(id: number, payload: Uint8Array): void {
    this.#served.get(id)?.requestBody?.write(payload);
  }

  requestEnd(id: number): void {
    this.#served.get(id)?.requestBody?.end();
  }

  grant(id: number, bytes: number): void {
    this.#served.get(id)?.out?.grant(bytes);
  }

  /** Stops serving `id` and aborts its upstream call. */
  drop(id: number): void {
    const served = this.#served.get(id);
    if (!served) return;
    this.#served.delete(id);
    served.out?.abandon();
    served.abort.abort();
    served.requestBody?.destroy();
    served.upstream?.destroy();
  }

  dropAll(): void {
    for (const id of [...this.#served.keys()]) this.drop(id);
  }

  #fail(id: number, code: string, message: string): void {
    if (!this.#served.has(id)) return;
    this.#output.control({ type: 'error', id, code, message });
    this.drop(id);
  }
}
