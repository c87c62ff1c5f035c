import { DurableObject } from 'cloudflare:workers';
import type { MeteringPayload } from '../../protocol/metering-samples';
import type { BaseEnv } from '../bindings';
import { migrateSchema } from '../durable-schema';
import { addWindow, SeriesIds } from './store-ingest';
import { queryStore } from './store-query';
import type { StoreAnswer, StoreQuery } from './store-query-types';
import {
  defaultRetention,
  PRUNE_INTERVAL_MS,
  prune,
  type Retention,
  rawCutoff,
  readRetention,
  writeRetention,
} from './store-retention';
import { storeSchema } from './store-schema';
import { claimWindow, windowsSchema } from './store-windows';

/**
 * The metering facts of one cluster (object name `cluster-id:<clusterId>`,
 * see store-names.ts), in the object's own SQLite, so metering volume
 * scales with the number of clusters instead of filling the shared D1. The
 * tunnel calls `ingest` for every batch an agent sends; the API calls the
 * query methods.
 *
 * The tables are made on first use, not by the constructor: a legacy
 * name-keyed store that never held facts is asked (`queryIfStored`) without
 * ever being created.
 */
export class MeteringStore extends DurableObject<BaseEnv> {
  readonly #sql: SqlStorage;
  readonly #ids: SeriesIds;
  #alarmArmed = false;
  #hasTables: boolean;

  constructor(ctx: DurableObjectState, env: BaseEnv) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#ids = new SeriesIds(this.#sql);
    this.#hasTables =
      this.#sql
        .exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'series'")
        .toArray().length > 0;
    // Stores made before the schema had a version run migration 1, whose IF NOT EXISTS fills in tables added since.
    if (this.#hasTables) this.#createTables();
  }

  #createTables(): void {
    migrateSchema(this.#sql, 'metering-store', [storeSchema + windowsSchema]);
    this.#hasTables = true;
  }

  #ensureTables(): void {
    if (!this.#hasTables) this.#createTables();
  }

  /**
   * Takes one batch, idempotently by (agentId, seq): the id is recorded in
   * the same transaction as the facts, so a batch is counted exactly once
   * even when the agent resends it after a lost acknowledgement. A batch
   * for a window another agent (replica) already delivered is a duplicate
   * too (`window: true`; see store-windows.ts), so a leader hand-over
   * never counts a window twice.
   */
  async ingest(
    agentId: string,
    seq: number,
    payload: MeteringPayload,
  ): Promise<{ duplicate: boolean; window?: true }> {
    this.#ensureTables();
    const outcome = this.ctx.storage.transactionSync((): 'new' | 'seen' | 'owned' => {
      const seen = this.#sql
        .exec('SELECT 1 FROM ingested WHERE agent = ? AND seq = ?', agentId, seq)
        .toArray().length;
      if (seen) return 'seen';
      this.#sql.exec(
        'INSERT INTO ingested (agent, seq, at) VALUES (?, ?, ?)',
        agentId,
        seq,
        Date.now(),
      );
      if (!claimWindow(this.#sql, agentId, payload.windowStart, payload.windowEnd)) return 'owned';
      try {
        addWindow(this.#sql, this.#ids, payload, this.#rawCutoff());
      } catch (error) {
        // The transaction rolls back the series rows too: the cache must not keep their ids.
        this.#ids.forget();
        throw error;
      }
      return 'new';
    });
    // Checked once per object lifetime: the alarm re-arms itself.
    if (!this.#alarmArmed && (await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(Date.now() + PRUNE_INTERVAL_MS);
    this.#alarmArmed = true;
    if (outcome === 'owned') return { duplicate: true, window: true };
    return { duplicate: outcome === 'seen' };
  }

  /** Per group, bucket and price period sums of this cluster's facts (see store-query.ts). */
  async query(query: StoreQuery): Promise<StoreAnswer> {
    this.#ensureTables();
    return queryStore(this.#sql, query, this.#rawCutoff());
  }

  /** The same, but a store that never held facts answers empty and stays uncreated (legacy stores). */
  async queryIfStored(query: StoreQuery): Promise<StoreAnswer> {
    if (!this.#hasTables) return { ok: true, start: query.start, end: query.end, groups: [] };
    return queryStore(this.#sql, query, this.#rawCutoff());
  }

  /** The retention as set through the API, or null if it never was (defaults apply). */
  async retentionSetting(): Promise<Retention | null> {
    if (!this.#hasTables) return null;
    const set = this.#sql.exec('SELECT 1 FROM settings LIMIT 1').toArray().length > 0;
    return set ? readRetention(this.#sql) : null;
  }

  /**
   * Forgets everything: facts, batch ids, window owners, settings and the
   * alarm. Called when the cluster is deleted, so nothing of it can surface
   * again (issue #12, attack 7).
   */
  async wipe(): Promise<void> {
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.#ids.forget();
    this.#alarmArmed = false;
    this.#hasTables = false;
  }

  #rawCutoff(): number {
    if (!this.#hasTables) return rawCutoff(defaultRetention, Math.floor(Date.now() / 1000));
    return rawCutoff(readRetention(this.#sql), Math.floor(Date.now() / 1000));
  }

  async retention(): Promise<Retention> {
    if (!this.#hasTables) return { ...defaultRetention };
    return readRetention(this.#sql);
  }

  async setRetention(retention: Retention): Promise<Retention> {
    this.#ensureTables();
    writeRetention(this.#sql, { ...defaultRetention, ...retention });
    return readRetention(this.#sql);
  }

  /** The same for a legacy store: set only if it holds facts (it keeps pruning them by it). */
  async setRetentionIfStored(retention: Retention): Promise<void> {
    if (this.#hasTables) writeRetention(this.#sql, { ...defaultRetention, ...retention });
  }

  /** Prunes what is past retention, then re-arms for the next round. */
  override async alarm(): Promise<void> {
    if (!this.#hasTables) return;
    this.ctx.storage.transactionSync(() =>
      prune(this.#sql, readRetention(this.#sql), Math.floor(Date.now() / 1000)),
    );
    this.#ids.forget();
    await this.ctx.storage.setAlarm(Date.now() + PRUNE_INTERVAL_MS);
  }
}

/** The binding of the metering stores, for the modules that call them. */
export interface MeteringStoreBinding {
  METERING_STORE: DurableObjectNamespace<MeteringStore>;
}
