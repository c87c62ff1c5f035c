import type {
  RoleProjectionFrame,
  RoleProjectionStatusFrame,
} from '../../functions/projection/frames';
import { type Backoff, createBackoff } from '../backoff';
import type { Logger } from '../log';
import { desiredRecords, type NamespaceView } from './desired';
import { type RbacRecord, recordKey } from './objects';
import type { ObjectSource, RbacWriter } from './rbac-api';

export interface ReconcilerOptions {
  /** Managed (label-selected) RoleBindings and Roles, cluster-wide. */
  roleBindings: ObjectSource<RbacRecord>;
  roles: ObjectSource<RbacRecord>;
  /** Every namespace with its workspace label. */
  namespaces: ObjectSource<NamespaceView>;
  writer: RbacWriter;
  log: Logger;
  /** Reports each pass's outcome to the edge. */
  report?: (status: RoleProjectionStatusFrame) => void;
  /** The agent's own namespace (never projected into). */
  agentNamespace?: string;
  /** Writes in flight at once (default 16). */
  concurrency?: number;
  /** Coalesces bursts of events into one pass (default 50 ms). */
  debounceMs?: number;
  /** Retry after refused writes (default 1 s .. 30 s). */
  backoff?: Backoff;
}

export interface PassResult {
  inSync: boolean;
  written: number;
  failures: number;
  conflicts: { namespace: string; name: string }[];
}

/**
 * Keeps the cluster's edgetower RoleBindings and Roles equal to the
 * projection: creates what is missing, puts back what drifted (edited or
 * deleted), deletes what is no longer desired. It only ever writes objects
 * labelled managed-by=edgetower: a desired name held by an unlabelled
 * object is reported as a conflict and left alone, and replaces/deletes
 * carry the observed resourceVersion, so an object relabelled meanwhile is
 * not touched either. Nothing happens before the first projection arrives
 * (a restarted agent must not wipe the cluster's bindings).
 */
export class RbacProjectionReconciler {
  readonly #options: ReconcilerOptions;
  readonly #backoff: Backoff;
  #desired: RoleProjectionFrame | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<PassResult | undefined> | undefined;
  #again = false;
  /** A write met a state the watch has not shown yet: look again after the debounce. */
  #retrySoon = false;
  #stopped = false;
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: ReconcilerOptions) {
    this.#options = options;
    this.#backoff = options.backoff ?? createBackoff({ initialMs: 1000, maxMs: 30_000 });
    const onManaged = () => this.schedule();
    this.#unsubscribe.push(options.roleBindings.on(onManaged), options.roles.on(onManaged));
    this.#unsubscribe.push(
      options.namespaces.on((event) => {
        // Only membership in a workspace (and existence) changes what is desired.
        if (event.type === 'delete') return this.schedule();
        const before = event.previous;
        if (
          !before ||
          before.workspace !== event.item.workspace ||
          (before.phase === 'Terminating') !== (event.item.phase === 'Terminating')
        )
          this.schedule();
      }),
    );
  }

  /** A new projection from the edge. */
  setDesired(frame: RoleProjectionFrame): void {
    this.#desired = frame;
    this.schedule(0);
  }

  get desired(): RoleProjectionFrame | undefined {
    return this.#desired;
  }

  /** Runs a pass soon (debounced). */
  schedule(delayMs = this.#options.debounceMs ?? 50): void {
    if (this.#stopped || !this.#desired) return;
    if (this.#timer) {
      if (delayMs > 0) return;
      clearTimeout(this.#timer);
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.reconcile();
    }, delayMs);
    this.#timer.unref?.();
  }

  /** One pass now (a pass already running is followed by another). */
  async reconcile(): Promise<PassResult | undefined> {
    if (this.#running) {
      this.#retrySoon = true;
      return this.#running;
    }
    this.#running = this.#pass().finally(() => {
      this.#running = undefined;
    });
    const result = await this.#running;
    if (this.#again && !this.#stopped) {
      this.#again = false;
      return this.reconcile();
    }
    return result;
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  async #pass(): Promise<PassResult | undefined> {
    const frame = this.#desired;
    if (!frame || this.#stopped) return undefined;
    const { roleBindings, roles, namespaces, writer, log } = this.#options;
    await Promise.all([roleBindings.waitForSync(), roles.waitForSync(), namespaces.waitForSync()]);
    if (this.#stopped) return undefined;
    const desired = desiredRecords(frame, namespaces.items.values(), this.#options.agentNamespace);
    const observed = new Map<string, RbacRecord>();
    for (const source of [roleBindings, roles])
      for (const record of source.items.values())
        if (record.managed)
          observed.set(recordKey(record.kind, record.namespace, record.name), record);

    const result: PassResult = { inSync: true, written: 0, failures: 0, conflicts: [] };
    const fail = (
      what: string,
      record: { kind: string; namespace: string; name: string },
      error: unknown,
    ) => {
      result.failures++;
      log.warn('projection write failed', {
        what,
        kind: record.kind,
        namespace: record.namespace,
        name: record.name,
        error: error instanceof Error ? error.message : String(error),
      });
    };

    const roleUpserts: (() => Promise<void>)[] = [];
    const bindingUpserts: (() => Promise<void>)[] = [];
    for (const record of desired.values()) {
      const current = observed.get(recordKey(record.kind, record.namespace, record.name));
      if (current?.fingerprint === record.fingerprint) continue;
      (record.kind === 'Role' ? roleUpserts : bindingUpserts).push(async () => {
        try {
          // Not `written += await …`: that would read `written` before the await and lose concurrent counts.
          const writes = await this.#upsert(record, current, result);
          result.written += writes;
        } catch (error) {
          fail('upsert', record, error);
        }
      });
    }
    const deletes: (() => Promise<void>)[] = [];
    for (const [key, record] of observed) {
      if (desired.has(key)) continue;
      deletes.push(async () => {
        try {
          const outcome = await writer.remove(
            record.kind,
            record.namespace,
            record.name,
            record.resourceVersion ?? '',
          );
          if (outcome === 'ok') result.written++;
          // conflict: it changed since we saw it; the watch brings the new state and another pass.
          if (outcome === 'conflict') this.#retrySoon = true;
        } catch (error) {
          fail('delete', record, error);
        }
      });
    }
    // Roles before the bindings that name them; stale bindings before their roles.
    const concurrency = this.#options.concurrency ?? 16;
    await runLimited(roleUpserts, concurrency);
    await runLimited(bindingUpserts, concurrency);
    await runLimited(deletes, concurrency);

    result.inSync = result.failures === 0 && result.conflicts.length === 0;
    const objects = observed.size;
    this.#options.report?.({
      type: 'role-projection-status',
      hash: frame.hash,
      inSync: result.inSync,
      objects: result.inSync ? desired.size : objects,
      written: result.written,
      conflicts: result.conflicts.slice(0, 100),
      failures: result.failures,
    });
    if (result.written > 0 || result.failures > 0)
      log.info('projection reconciled', {
        revision: frame.revision,
        desired: desired.size,
        written: result.written,
        failures: result.failures,
        conflicts: result.conflicts.length,
      });
    if (result.failures > 0) this.schedule(this.#backoff.next());
    else this.#backoff.reset();
    if (this.#retrySoon) {
      this.#retrySoon = false;
      this.schedule();
    }
    return result;
  }

  /** Creates or corrects one object; returns how many writes it took. */
  async #upsert(
    record: RbacRecord,
    current: RbacRecord | undefined,
    result: PassResult,
  ): Promise<number> {
    const { writer } = this.#options;
    let target = current;
    if (!target) {
      const created = await writer.create(record);
      if (created === 'ok') return 1;
      if (created !== 'exists') return 0;
      // Taken: ours (made by an earlier pass, the watch not caught up yet) or someone else's.
      target = await writer.read(record.kind, record.namespace, record.name);
      if (!target) {
        this.#retrySoon = true;
        return 0;
      }
      if (!target.managed) {
        result.conflicts.push({ namespace: record.namespace, name: record.name });
        return 0;
      }
      if (target.fingerprint === record.fingerprint) return 0;
    }
    // roleRef is immutable in Kubernetes: a binding to another role is deleted and made again.
    if (
      record.kind === 'RoleBinding' &&
      JSON.stringify(target.roleRef) !== JSON.stringify(record.roleRef)
    ) {
      const removed = await writer.remove(
        record.kind,
        record.namespace,
        record.name,
        target.resourceVersion ?? '',
      );
      if (removed === 'conflict') {
        this.#retrySoon = true;
        return 0;
      }
      return (removed === 'ok' ? 1 : 0) + ((await writer.create(record)) === 'ok' ? 1 : 0);
    }
    const replaced = await writer.replace(record, target.resourceVersion ?? '');
    if (replaced === 'conflict' || replaced === 'gone') this.#retrySoon = true;
    return replaced === 'ok' ? 1 : 0;
  }
}

/** Runs the tasks with at most `limit` in flight. */
async function runLimited(tasks: readonly (() => Promise<void>)[], limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task?.();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
