import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from './log';

/** One durable batch: the edge ingests it idempotently by (agentId, seq). */
export interface SpoolBatch<T = unknown> {
  agentId: string;
  seq: number;
  /** What the payload is, e.g. "metering" or "alerts". */
  kind: string;
  createdAt: string;
  payload: T;
}

export interface SpoolOptions {
  dir: string;
  agentId: string;
  log: Logger;
  /** Oldest batches are dropped (with a warning) beyond this many (default 10,000). */
  maxBatches?: number;
  now?: () => Date;
}

const BATCH_FILE = /^batch-(\d{12})\.json$/;
const SEQ_FILE = 'next-seq';
const fileName = (seq: number) => `batch-${String(seq).padStart(12, '0')}.json`;

async function writeDurably(dir: string, name: string, data: string): Promise<void> {
  // write + fsync a temp file, rename over, fsync the directory: a crash leaves the old or the new file, never half of one.
  const tmp = join(dir, `.${name}.tmp`);
  const file = await open(tmp, 'w', 0o600);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * An append-only, durable queue of batches on disk (one fsynced file per
 * batch), deleted when the edge acknowledges them and replayed after a
 * restart. Sequence numbers keep growing across restarts (persisted), so
 * (agentId, seq) never names two different batches.
 */
export class Spool {
  private nextSeq = 1;
  private readonly pendingSeqs = new Set<number>();
  private readonly maxBatches: number;
  private readonly now: () => Date;
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(private readonly options: SpoolOptions) {
    this.maxBatches = options.maxBatches ?? 10_000;
    this.now = options.now ?? (() => new Date());
  }

  static async open(options: SpoolOptions): Promise<Spool> {
    const spool = new Spool(options);
    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    let maxSeen = 0;
    for (const name of await readdir(options.dir)) {
      const match = BATCH_FILE.exec(name);
      if (match) {
        const seq = Number(match[1]);
        spool.pendingSeqs.add(seq);
        maxSeen = Math.max(maxSeen, seq);
      } else if (name.endsWith('.tmp')) {
        await rm(join(options.dir, name), { force: true }); // an append that never completed
      }
    }
    const stored = Number(await readFile(join(options.dir, SEQ_FILE), 'utf8').catch(() => '1'));
    spool.nextSeq = Math.max(Number.isFinite(stored) ? stored : 1, maxSeen + 1);
    if (spool.pendingSeqs.size > 0)
      options.log.info('spool has batches to replay', { batches: spool.pendingSeqs.size });
    return spool;
  }

  /** Number of batches not acknowledged yet. */
  get size(): number {
    return this.pendingSeqs.size;
  }

  /** Serializes file operations so sequence numbers and files stay in step. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const result = this.chain.then(task, task);
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** Durably stores a batch; resolves once it is on disk. */
  append<T>(kind: string, payload: T): Promise<SpoolBatch<T>> {
    return this.serial(async () => {
      const seq = this.nextSeq++;
      await writeDurably(this.options.dir, SEQ_FILE, String(this.nextSeq));
      const batch: SpoolBatch<T> = {
        agentId: this.options.agentId,
        seq,
        kind,
        createdAt: this.now().toISOString(),
        payload,
      };
      await writeDurably(this.options.dir, fileName(seq), JSON.stringify(batch));
      this.pendingSeqs.add(seq);
      await this.enforceLimit();
      return batch;
    });
  }

  /** The edge has the batch: forget it. Unknown seqs are ignored (acks may repeat). */
  ack(seq: number): Promise<void> {
    return this.serial(async () => {
      if (!this.pendingSeqs.delete(seq)) return;
      await rm(join(this.options.dir, fileName(seq)), { force: true });
    });
  }

  /** Sequence numbers not acknowledged yet, oldest first. */
  unacknowledged(): number[] {
    return [...this.pendingSeqs].sort((a, b) => a - b);
  }

  /** One unacknowledged batch, or undefined when it was acked, dropped or is unreadable. */
  read(seq: number): Promise<SpoolBatch | undefined> {
    return this.serial(async () => {
      if (!this.pendingSeqs.has(seq)) return undefined;
      try {
        return JSON.parse(
          await readFile(join(this.options.dir, fileName(seq)), 'utf8'),
        ) as SpoolBatch;
      } catch (err) {
        this.options.log.warn('dropping unreadable spool batch', { seq, error: String(err) });
        this.pendingSeqs.delete(seq);
        await rm(join(this.options.dir, fileName(seq)), { force: true });
        return undefined;
      }
    });
  }

  /**
   * One unacknowledged batch as stored: its JSON text, not parsed. The
   * sender turns it into a frame without parsing and re-encoding a
   * multi-megabyte payload.
   */
  readText(seq: number): Promise<string | undefined> {
    return this.serial(async () => {
      if (!this.pendingSeqs.has(seq)) return undefined;
      return readFile(join(this.options.dir, fileName(seq)), 'utf8').catch(() => undefined);
    });
  }

  /** Unacknowledged batches in sequence order, optionally of one kind. */
  pending(kind?: string): Promise<SpoolBatch[]> {
    return this.serial(async () => {
      const out: SpoolBatch[] = [];
      for (const seq of [...this.pendingSeqs].sort((a, b) => a - b)) {
        try {
          const batch = JSON.parse(
            await readFile(join(this.options.dir, fileName(seq)), 'utf8'),
          ) as SpoolBatch;
          if (kind === undefined || batch.kind === kind) out.push(batch);
        } catch (err) {
          this.options.log.warn('dropping unreadable spool batch', { seq, error: String(err) });
          this.pendingSeqs.delete(seq);
          await rm(join(this.options.dir, fileName(seq)), { force: true });
        }
      }
      return out;
    });
  }

  private async enforceLimit(): Promise<void> {
    if (this.pendingSeqs.size <= this.maxBatches) return;
    const sorted = [...this.pendingSeqs].sort((a, b) => a - b);
    const drop = sorted.slice(0, sorted.length - this.maxBatches);
    this.options.log.warn('spool full, dropping oldest batches', {
      dropped: drop.length,
      maxBatches: this.maxBatches,
    });
    for (const seq of drop) {
      this.pendingSeqs.delete(seq);
      await rm(join(this.options.dir, fileName(seq)), { force: true });
    }
  }
}
