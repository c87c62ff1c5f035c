import type { Readable } from 'node:stream';
import { type Backoff, createBackoff, sleep } from './backoff';
import { readFailure } from './discovery';
import { LineSplitter } from './json-lines';
import { type KubeClient, kubeErrorFrom } from './kube';
import { ListBodyParser } from './list-parser';
import type { Logger } from './log';
import { metaOf } from './projections';

export type InformerEvent<T> =
  | { type: 'upsert'; key: string; item: T; previous?: T }
  | { type: 'delete'; key: string; previous: T };

export interface InformerOptions<T> {
  /** Used in logs, e.g. "pods". */
  name: string;
  client: KubeClient;
  /** Collection path, e.g. /api/v1/pods. */
  path: string;
  /** Decides the path before each list (discovery: which version this cluster serves). */
  resolvePath?: (signal: AbortSignal) => Promise<string>;
  /** Told why the resource cannot be read (and `undefined` once it can again). */
  report?: (reason: string | undefined) => void;
  fieldSelector?: string;
  labelSelector?: string;
  /** Compact record for an API object; undefined drops it. */
  project: (raw: unknown) => T | undefined;
  log: Logger;
  /** List page size (default 500). */
  pageSize?: number;
  /** Restart a watch that delivered no event or bookmark for this long (default 3 min). */
  stallTimeoutMs?: number;
  /** Server-side watch timeout; randomized between this and twice this (default 5 min). */
  watchTimeoutSeconds?: number;
  backoff?: Backoff;
}

export interface InformerStats {
  lists: number;
  relists: number;
  watches: number;
  watchdogRestarts: number;
  errors: number;
  listedItems: number;
}

type WatchOutcome = 'ended' | 'expired' | 'stalled' | 'stopped';

class GoneError extends Error {}

/**
 * A list-watch cache of projected records. Unlike client-node's informer it
 * never holds full objects: lists are paged (limit/continue) and each page is
 * projected before the next is fetched; watch bodies are parsed line by line.
 * It relists on 410 Gone, and a watchdog restarts watches that go silent
 * (client-node issues #596/#958: informers that stall forever).
 */
export class Informer<T> {
  readonly items = new Map<string, T>();
  resourceVersion: string | undefined;
  readonly stats: InformerStats = {
    lists: 0,
    relists: 0,
    watches: 0,
    watchdogRestarts: 0,
    errors: 0,
    listedItems: 0,
  };
  private readonly listeners = new Set<(event: InformerEvent<T>) => void>();
  private readonly stopController = new AbortController();
  private running: Promise<void> | undefined;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];
  /** Why the last list or watch failed, until one succeeds. */
  private failure: { reason: string; definitive: boolean } | undefined;
  private readonly settleWaiters: (() => void)[] = [];
  private path: string;
  private readonly backoff: Backoff;
  private readonly pageSize: number;
  private readonly stallTimeoutMs: number;
  private readonly watchTimeoutSeconds: number;

  constructor(private readonly options: InformerOptions<T>) {
    this.backoff = options.backoff ?? createBackoff({ initialMs: 500, maxMs: 30_000 });
    this.pageSize = options.pageSize ?? 500;
    this.stallTimeoutMs = options.stallTimeoutMs ?? 180_000;
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.path = options.path;
  }

  get name(): string {
    return this.options.name;
  }

  get hasSynced(): boolean {
    return this.synced;
  }

  /** Why this resource cannot be read right now, if it cannot. */
  get degradedReason(): string | undefined {
    return this.failure?.reason;
  }

  /**
   * Listed, or known unreadable for now (not served, forbidden): either way
   * nothing else should wait for it. A transient failure (API server
   * unreachable) settles nothing.
   */
  get settled(): boolean {
    return this.synced || this.failure?.definitive === true;
  }

  /** Resolves once the informer has settled (see `settled`). */
  waitForSettled(): Promise<void> {
    if (this.settled) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  on(listener: (event: InformerEvent<T>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.running ??= this.run();
  }

  /** Resolves once the first full list has been loaded. */
  waitForSync(): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopController.abort();
    await this.running;
    this.options.report?.(undefined);
  }

  private failed(err: unknown): string {
    const failure = readFailure(err);
    const changed = failure.reason !== this.failure?.reason;
    this.failure = failure;
    if (changed) this.options.report?.(failure.reason);
    if (this.settled) for (const resolve of this.settleWaiters.splice(0)) resolve();
    return failure.reason;
  }

  private succeeded(): void {
    if (!this.failure) return;
    this.failure = undefined;
    this.options.report?.(undefined);
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  private emit(event: InformerEvent<T>): void {
    for (const listener of this.listeners) listener(event);
  }

  private upsert(key: string, item: T): void {
    const previous = this.items.get(key);
    this.items.set(key, item);
    this.emit(
      previous === undefined
        ? { type: 'upsert', key, item }
        : { type: 'upsert', key, item, previous },
    );
  }

  private remove(key: string): void {
    const previous = this.items.get(key);
    if (previous === undefined) return;
    this.items.delete(key);
    this.emit({ type: 'delete', key, previous });
  }

  private keyOf(raw: unknown): string | undefined {
    const meta = metaOf(raw);
    if (!meta) return undefined;
    return meta.namespace ? `${meta.namespace}/${meta.name}` : meta.name;
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    let needList = true;
    while (!this.stopped) {
      try {
        if (needList) {
          await this.list();
          needList = false;
        }
        const startedAt = Date.now();
        const outcome = await this.watch();
        if (outcome === 'stopped') break;
        if (outcome === 'expired') {
          this.stats.relists++;
          log.info('watch expired (410 Gone), relisting', { resource: this.options.name });
          needList = true;
        } else if (outcome === 'stalled') {
          this.stats.watchdogRestarts++;
          const wait = this.backoff.next();
          log.warn('watch stalled, restarting', {
            resource: this.options.name,
            silentMs: this.stallTimeoutMs,
            backoffMs: wait,
          });
          await sleep(wait, this.stopController.signal);
        } else if (Date.now() - startedAt < 1000) {
          // A watch that ends at once, repeatedly, must not become a hot loop.
          await sleep(this.backoff.next(), this.stopController.signal);
        }
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof GoneError) {
          this.stats.relists++;
          needList = true;
          log.info('list continue token expired (410 Gone), relisting', {
            resource: this.options.name,
          });
          continue;
        }
        this.stats.errors++;
        const wait = this.backoff.next();
        const previous = this.failure?.reason;
        const reason = this.failed(err);
        const fields = {
          resource: this.options.name,
          error: err instanceof Error ? err.message : String(err),
          backoffMs: wait,
        };
        // A resource that stays unreadable is reported once, not every retry.
        if (reason === previous) log.debug('list/watch failed, retrying', fields);
        else log.warn('list/watch failed, retrying', fields);
        await sleep(wait, this.stopController.signal);
      }
    }
  }

  /** Paged list; records are replaced as pages arrive, missing ones deleted at the end. */
  private async list(): Promise<void> {
    const { client, fieldSelector, labelSelector, project, resolvePath } = this.options;
    this.stats.lists++;
    if (resolvePath) this.path = await resolvePath(this.stopController.signal);
    const path = this.path;
    const seen = new Set<string>();
    let cont: string | undefined;
    let rv: string | undefined;
    do {
      const res = await client.request({
        path,
        query: { limit: this.pageSize, continue: cont, fieldSelector, labelSelector },
        signal: this.stopController.signal,
      });
      if (res.status === 410) {
        await res.text().catch(() => '');
        throw new GoneError('continue expired');
      }
      if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `list ${path}`);
      let count = 0;
      const page = (await readList(res.body, (raw) => {
        count++;
        const key = this.keyOf(raw);
        if (key === undefined) return;
        const item = project(raw);
        if (item === undefined) return;
        seen.add(key);
        this.upsert(key, item);
      })) as { metadata?: { resourceVersion?: string; continue?: string } };
      rv = page.metadata?.resourceVersion;
      cont = page.metadata?.continue || undefined;
      this.stats.listedItems += count;
    } while (cont && !this.stopped);
    for (const key of [...this.items.keys()]) if (!seen.has(key)) this.remove(key);
    this.resourceVersion = rv;
    this.backoff.reset();
    this.succeeded();
    if (!this.synced) {
      this.synced = true;
      for (const resolve of this.syncWaiters.splice(0)) resolve();
      for (const resolve of this.settleWaiters.splice(0)) resolve();
    }
    this.options.log.debug('listed', {
      resource: this.options.name,
      items: this.items.size,
      resourceVersion: rv,
    });
  }

  private async watch(): Promise<WatchOutcome> {
    const { client, fieldSelector, labelSelector } = this.options;
    const path = this.path;
    const abort = new AbortController();
    const onStop = () => abort.abort();
    this.stopController.signal.addEventListener('abort', onStop, { once: true });
    this.stats.watches++;
    try {
      const res = await client.request({
        path,
        query: {
          watch: 1,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: Math.round(this.watchTimeoutSeconds * (1 + Math.random())),
          fieldSelector,
          labelSelector,
        },
        signal: abort.signal,
      });
      if (res.status === 410) {
        await res.text().catch(() => '');
        return 'expired';
      }
      if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `watch ${path}`);
      this.succeeded();
      return await this.consume(res.body, abort);
    } catch (err) {
      if (this.stopped) return 'stopped';
      throw err;
    } finally {
      this.stopController.signal.removeEventListener('abort', onStop);
    }
  }

  private consume(body: NodeJS.ReadableStream, abort: AbortController): Promise<WatchOutcome> {
    return new Promise((resolve) => {
      let outcome: WatchOutcome | undefined;
      const finish = (result: WatchOutcome) => {
        if (outcome) return;
        outcome = this.stopped ? 'stopped' : result;
        clearTimeout(watchdog);
        abort.abort();
        resolve(outcome);
      };
      const watchdog = setTimeout(() => finish('stalled'), this.stallTimeoutMs);
      const splitter = new LineSplitter((line) => {
        if (outcome) return;
        watchdog.refresh();
        const result = this.handleLine(line);
        if (result) finish(result);
      });
      body.on('data', (chunk: Buffer) => splitter.push(chunk));
      body.on('end', () => {
        splitter.end();
        finish('ended');
      });
      body.on('error', () => finish('ended'));
      body.on('close', () => finish('ended'));
    });
  }

  /** Applies one watch event; returns an outcome when the watch must end. */
  private handleLine(line: string): WatchOutcome | undefined {
    let event: { type?: string; object?: unknown };
    try {
      event = JSON.parse(line) as typeof event;
    } catch {
      this.options.log.warn('unparseable watch line', {
        resource: this.options.name,
        bytes: line.length,
      });
      return undefined;
    }
    const object = event.object as
      | { metadata?: { resourceVersion?: string }; code?: number }
      | undefined;
    if (event.type === 'ERROR') {
      if (object?.code === 410) return 'expired';
      this.options.log.warn('watch error event', { resource: this.options.name, object });
      return 'ended';
    }
    const rv = object?.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    if (event.type === 'BOOKMARK') return undefined;
    const key = this.keyOf(object);
    if (key === undefined) return undefined;
    this.backoff.reset();
    if (event.type === 'DELETED') {
      this.remove(key);
      return undefined;
    }
    const item = this.options.project(object);
    if (item === undefined) this.remove(key);
    else this.upsert(key, item);
    return undefined;
  }
}

/** Feeds a list response through the streaming parser; resolves with the list minus its items. */
function readList(body: Readable, onItem: (raw: unknown) => void): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parser = new ListBodyParser(onItem);
    body.on('data', (chunk: Buffer) => {
      try {
        parser.push(chunk);
      } catch (err) {
        body.destroy();
        reject(err);
      }
    });
    body.on('end', () => {
      try {
        resolve(parser.end());
      } catch (err) {
        reject(err);
      }
    });
    body.on('error', reject);
    body.on('close', () => reject(new Error('list response closed early')));
  });
}
