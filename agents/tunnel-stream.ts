import { MAX_CHUNK_BYTES } from '../protocol/tunnel';

/** What an outbound stream needs from the tunnel socket. */
export interface StreamOutput {
  /** One DATA frame made of these pieces (at most MAX_CHUNK_BYTES in all). */
  data(pieces: Uint8Array[]): void;
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
  readonly #schedule: (flush: () => void) => void;
  #scheduled = false;

  /**
   * @param schedule when to flush after a write: by default at the end of the
   * current I/O phase, so the small chunks a socket read produces go out as
   * one frame instead of many
   */
  constructor(
    window: number,
    out: StreamOutput,
    schedule: (flush: () => void) => void = (flush) => setImmediate(flush),
  ) {
    this.#credit = window;
    this.#out = out;
    this.#schedule = schedule;
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
    this.#later();
  }

  /** Upstream is done: END goes out once everything queued was sent. */
  end(): void {
    this.#upstreamDone = true;
    this.#later();
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

  #later(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#schedule(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#finished) return;
    while (this.#queue.length && this.#credit > 0) {
      const budget = Math.min(this.#credit, MAX_CHUNK_BYTES);
      const pieces: Uint8Array[] = [];
      let size = 0;
      while (this.#queue.length && size < budget) {
        const head = this.#queue[0]!;
        const take = Math.min(head.byteLength, budget - size);
        pieces.push(head.subarray(0, take));
        if (take === head.byteLength) this.#queue.shift();
        else this.#queue[0] = head.subarray(take);
        size += take;
      }
      this.#queued -= size;
      this.#credit -= size;
      this.#out.data(pieces);
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
