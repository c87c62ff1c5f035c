import { MAX_CHUNK_BYTES } from '../functions/tunnel/protocol';

/** What an outbound stream needs from the tunnel socket. */
export interface StreamOutput {
  data(bytes: Uint8Array): void;
  end(): void;
  /** Stop / restart reading the upstream body (backpressure). */
  pause(): void;
  resume(): void;
}

/**
 * The agent's side of one response body: bytes go out only while the edge
 * has granted credit (WINDOW frames). When credit runs out the upstream body
 * is paused, so one slow reader holds back only its own stream while every
 * other stream on the socket keeps moving.
 */
export class OutboundStream {
  #credit: number;
  readonly #queue: Uint8Array[] = [];
  #queued = 0;
  #upstreamDone = false;
  #finished = false;
  #paused = false;
  readonly #out: StreamOutput;

  constructor(window: number, out: StreamOutput) {
    this.#credit = window;
    this.#out = out;
  }

  get credit(): number {
    return this.#credit;
  }

  get queuedBytes(): number {
    return this.#queued;
  }

  get finished(): boolean {
    return this.#finished;
  }

  /** Upstream produced bytes. */
  write(chunk: Uint8Array): void {
    if (this.#finished || chunk.byteLength === 0) return;
    this.#queue.push(chunk);
    this.#queued += chunk.byteLength;
    this.#flush();
  }

  /** Upstream is done: END goes out once everything queued was sent. */
  end(): void {
    this.#upstreamDone = true;
    this.#flush();
  }

  /** The edge granted more credit. */
  grant(bytes: number): void {
    this.#credit += bytes;
    this.#flush();
  }

  /** Drops queued bytes (cancelled or failed); nothing more is sent. */
  abandon(): void {
    this.#finished = true;
    this.#queue.length = 0;
    this.#queued = 0;
  }

  #flush(): void {
    if (this.#finished) return;
    while (this.#queue.length && this.#credit > 0) {
      const head = this.#queue[0]!;
      const size = Math.min(head.byteLength, this.#credit, MAX_CHUNK_BYTES);
      const piece = head.subarray(0, size);
      if (size === head.byteLength) this.#queue.shift();
      else this.#queue[0] = head.subarray(size);
      this.#queued -= size;
      this.#credit -= size;
      this.#out.data(piece);
    }
    if (this.#queue.length) {
      if (!this.#paused) {
        this.#paused = true;
        this.#out.pause();
      }
      return;
    }
    if (this.#upstreamDone) {
      this.#finished = true;
      this.#out.end();
      return;
    }
    if (this.#paused) {
      this.#paused = false;
      this.#out.resume();
    }
  }
}
