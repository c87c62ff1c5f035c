import type { SpoolBatch } from './spool';

/**
 * The spool without a --data-dir: same contract as Spool, in memory. It
 * survives reconnects and edge outages but not an agent restart.
 */
export class MemorySpool {
  private nextSeq = 1;
  private readonly batches = new Map<number, SpoolBatch>();

  constructor(
    private readonly agentId: string,
    private readonly maxBatches = 10_000,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get size(): number {
    return this.batches.size;
  }

  async append<T>(kind: string, payload: T): Promise<SpoolBatch<T>> {
    const batch: SpoolBatch<T> = {
      agentId: this.agentId,
      seq: this.nextSeq++,
      kind,
      createdAt: this.now().toISOString(),
      payload,
    };
    this.batches.set(batch.seq, batch);
    // Oldest first out, as the disk spool does.
    for (const seq of this.batches.keys()) {
      if (this.batches.size <= this.maxBatches) break;
      this.batches.delete(seq);
    }
    return batch;
  }

  async ack(seq: number): Promise<void> {
    this.batches.delete(seq);
  }

  unacknowledged(): number[] {
    return [...this.batches.keys()];
  }

  async read(seq: number): Promise<SpoolBatch | undefined> {
    return this.batches.get(seq);
  }

  async readText(seq: number): Promise<string | undefined> {
    const batch = this.batches.get(seq);
    return batch ? JSON.stringify(batch) : undefined;
  }
}
