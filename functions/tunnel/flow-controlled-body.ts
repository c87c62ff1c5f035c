/**
 * The body of a proxied response as the edge receives it: DATA frames are
 * written as they arrive, and WINDOW credit goes back to the agent only as
 * the caller actually reads. A caller that stops reading (a slow `watch`)
 * therefore stalls only its own stream: the agent runs out of credit for it
 * and pauses that upstream response, while other streams keep flowing.
 *
 * An IdentityTransformStream (native, no JS queue) carries the bytes: each
 * write reaches the caller at once instead of waiting in a buffer, and a
 * write settles only when the reader has taken it, which is exactly the
 * "consumed" signal credit is based on.
 */
export class FlowControlledBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #window: number;
  readonly #grant: (bytes: number) => void;
  readonly #onCancel: (reason: string) => void;
  #received = 0;
  #consumed = 0;
  #granted: number;
  #done = false;

  /**
   * @param window bytes the agent may have in flight (the request's initial credit)
   * @param grant sends a WINDOW frame with more credit
   * @param onCancel the caller went away: tell the agent to stop
   */
  constructor(window: number, grant: (bytes: number) => void, onCancel: (reason: string) => void) {
    this.#window = window;
    this.#granted = window;
    this.#grant = grant;
    this.#onCancel = onCancel;
    const pipe = new IdentityTransformStream();
    this.stream = pipe.readable;
    this.#writer = pipe.writable.getWriter();
    this.#writer.closed.catch((reason: unknown) => this.#cancelled(reason));
  }

  get done(): boolean {
    return this.#done;
  }

  /** False when the agent sent beyond the credit it was given (a protocol violation). */
  push(chunk: Uint8Array): boolean {
    if (this.#done) return true;
    this.#received += chunk.byteLength;
    if (this.#received > this.#granted) return false;
    this.#writer.write(chunk).then(
      () => this.#onConsumed(chunk.byteLength),
      (reason: unknown) => this.#cancelled(reason),
    );
    return true;
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#writer.close().catch(() => {});
  }

  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#writer.abort(error).catch(() => {});
  }

  #onConsumed(bytes: number): void {
    this.#consumed += bytes;
    if (this.#done) return;
    const limit = this.#consumed + this.#window;
    const more = limit - this.#granted;
    // Batch credit: a WINDOW frame per quarter window, not per chunk read.
    if (more >= this.#window / 4) {
      this.#granted = limit;
      this.#grant(more);
    }
  }

  #cancelled(reason: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#onCancel(reason === undefined ? 'caller went away' : String(reason));
  }
}
