import type { BatchAckFrame } from '../protocol/tunnel';
import type { Logger } from './log';
import type { SpoolBatch } from './spool';
import type { Tunnel } from './tunnel';

/** What the sender needs of a spool (Spool on disk, MemorySpool without --data-dir). */
export interface BatchSpool {
  append<T>(kind: string, payload: T): Promise<SpoolBatch<T>>;
  ack(seq: number): Promise<void>;
  read(seq: number): Promise<SpoolBatch | undefined>;
  /** The batch as its stored JSON (a SpoolBatch), for sending without a parse. */
  readText(seq: number): Promise<string | undefined>;
  /** Unacknowledged seqs, oldest first. */
  unacknowledged(): number[];
}

export interface BatchSenderOptions {
  spool: BatchSpool;
  tunnel: Pick<Tunnel, 'sendBatch' | 'onBatchAck' | 'onConnected' | 'isConnected'>;
  log: Logger;
  /** Batches sent and not acknowledged yet, at most (default 8). */
  maxInFlight?: number;
  /** A batch not acknowledged this long is sent again (default 30 s). */
  ackTimeoutMs?: number;
}

/**
 * The `batch` frame for a spooled batch, by splicing `"type":"batch"` into
 * its stored JSON: a SpoolBatch's fields (agentId, seq, kind, createdAt,
 * payload) are exactly the frame's, and a 150,000-pod window is never
 * parsed and re-encoded just to be sent.
 */
export function batchFrameText(spooled: string): string {
  if (!spooled.startsWith('{')) throw new Error('a spooled batch is a JSON object');
  return `{"type":"batch",${spooled.slice(1)}`;
}

/**
 * Sends spooled batches up the tunnel in sequence order, a bounded number
 * in flight, and deletes each from the spool only when the edge acks it.
 * After every (re)connect — and, since the spool is on disk, after a
 * restart — everything unacknowledged is sent again, oldest first; the
 * edge ingests by (agentId, seq), so a resend never counts twice.
 */
export class BatchSender {
  /** seq → when it was sent on the current connection. */
  private readonly inFlight = new Map<number, number>();
  private readonly maxInFlight: number;
  private readonly ackTimeoutMs: number;
  private pumping = false;
  private pumpAgain = false;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: BatchSenderOptions) {
    this.maxInFlight = options.maxInFlight ?? 8;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 30_000;
    options.tunnel.onConnected((reason) => {
      if (reason !== 'connected') return;
      this.inFlight.clear(); // a new socket: whatever was in flight on the old one is resent
      this.pump();
    });
    options.tunnel.onBatchAck((ack) => void this.onAck(ack));
    this.timer = setInterval(() => this.resendOverdue(), Math.min(this.ackTimeoutMs, 5000));
    this.timer.unref();
    this.pump();
  }

  /** Spools a batch durably, then sends it when the window allows. Resolves once it is on disk. */
  async submit<T>(kind: string, payload: T): Promise<SpoolBatch<T>> {
    const batch = await this.options.spool.append(kind, payload);
    this.pump();
    return batch;
  }

  /** Batches not acknowledged yet. */
  get backlog(): number {
    return this.options.spool.unacknowledged().length;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }

  private async onAck(ack: BatchAckFrame): Promise<void> {
    if (ack.rejected)
      this.options.log.warn('edge rejected a batch; dropping it', {
        seq: ack.seq,
        kind: ack.kind,
        reason: ack.rejected,
      });
    this.inFlight.delete(ack.seq);
    await this.options.spool.ack(ack.seq);
    this.pump();
  }

  private resendOverdue(): void {
    const now = Date.now();
    let overdue = false;
    for (const [seq, sentAt] of this.inFlight) {
      if (now - sentAt < this.ackTimeoutMs) continue;
      this.inFlight.delete(seq);
      overdue = true;
    }
    if (overdue) this.pump();
  }

  /** Fills the in-flight window from the spool, oldest first; one pass at a time. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.fill()
      .catch((error: unknown) =>
        this.options.log.warn('sending spooled batches failed', { error: String(error) }),
      )
      .finally(() => {
        this.pumping = false;
        if (this.pumpAgain) {
          this.pumpAgain = false;
          this.pump();
        }
      });
  }

  private async fill(): Promise<void> {
    const { spool, tunnel } = this.options;
    for (const seq of spool.unacknowledged()) {
      if (this.closed || !tunnel.isConnected() || this.inFlight.size >= this.maxInFlight) return;
      if (this.inFlight.has(seq)) continue;
      const text = await spool.readText(seq);
      if (!text) continue;
      if (!tunnel.sendBatch(batchFrameText(text))) return;
      this.inFlight.set(seq, Date.now());
    }
  }
}
