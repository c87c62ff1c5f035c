/**
 * The body of a proxied response as the edge receives it: DATA frames are
 * enqueued as they arrive, and WINDOW credit goes back to the agent only as
 * the caller actually reads. A caller that stops reading (a slow `watch`)
 * therefore stalls only its own stream: the agent runs out of credit for it
 * and pauses that upstream response, while other streams keep flowing.
 *
 * A JS ReadableStream on purpose: a native IdentityTransformStream is bound
 * to the request that created it, while DATA frames arrive in other
 * WebSocket events of the Durable Object, and writes from there are lost.
 */
export class FlowControlledBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly #window: number;
  readonly #grant: (bytes: number) => void;
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #received = 0;
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
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        pull: () => this.#maybeGrant(),
        cancel: (reason) => {
          if (this.#done) return;
          this.#done = true;
          onCancel(reason === undefined ? 'caller went away' : String(reason));
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: window }),
    );
  }

  get done(): boolean {
    return this.#done;
  }

  /** Bytes received beyond the credit given: a protocol violation by the agent. */
  push(chunk: Uint8Array): boolean {
    if (this.#done) return true;
    this.#received += chunk.byteLength;
    if (this.#received > this.#granted) return false;
    this.#controller.enqueue(chunk);
    return true;
  }

  end(): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.close();
  }

  fail(error: Error): void {
    if (this.#done) return;
    this.#done = true;
    this.#controller.error(error);
  }

  #maybeGrant(): void {
    if (this.#done) return;
    const queued = this.#window - (this.#controller.desiredSize ?? 0);
    const consumed = this.#received - Math.max(0, queued);
    const limit = consumed + this.#window;
    const more = limit - this.#granted;
    // Batch credit: a WINDOW frame per quarter window, not per chunk read.
    if (more >= this.#window / 4) {
      this.#granted = limit;
      this.#grant(more);
    }
  }
}
