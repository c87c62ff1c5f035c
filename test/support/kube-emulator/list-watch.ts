import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendStatus, writeChunk } from './http-util';
import { apiVersionOf, type ResourceDef } from './resources';
import { allOf, fieldSelector, labelSelector, type Selector } from './selectors';
import { statuses } from './status';
import type { KubeStore, StoreEvent } from './store';
import type { KubeObject } from './types';

interface ContinueToken {
  /** resourceVersion of the first page: later pages report the same. */
  rv: number;
  /** Last key served. */
  after: string;
  /** Tokens from before `expireContinueTokens()` are refused with 410. */
  epoch: number;
  /** When it was issued (ms): tokens older than the TTL expire, as etcd compaction does. */
  issuedAt: number;
}

/** Shared state for list and watch handlers. */
export interface ListWatchContext {
  store: KubeStore;
  continueEpoch: number;
  /** Continue tokens older than this get 410 Expired (real servers: ~5 min of etcd history). */
  continueTtlMs: number;
  bookmarkIntervalMs: number;
  /** Open watch responses, so tests can stall or drop them. */
  watches: Set<WatchConnection>;
}

export interface WatchConnection {
  plural: string;
  stalled: boolean;
  end(): void;
}

function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function decodeContinue(text: string): ContinueToken | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      parsed &&
      typeof parsed === 'object' &&
      'rv' in parsed &&
      'after' in parsed &&
      'epoch' in parsed &&
      'issuedAt' in parsed
    ) {
      return parsed as ContinueToken;
    }
  } catch {
    // fall through: malformed tokens are a 400 below
  }
  return undefined;
}

function selectorFrom(query: URLSearchParams): Selector {
  return allOf(
    labelSelector(query.get('labelSelector')),
    fieldSelector(query.get('fieldSelector')),
  );
}

/** GET of a collection: paged with limit/continue, streamed item by item. */
export async function handleList(
  ctx: ListWatchContext,
  def: ResourceDef,
  namespace: string | undefined,
  query: URLSearchParams,
  res: ServerResponse,
): Promise<void> {
  const { store } = ctx;
  const limitText = query.get('limit');
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0)
    return sendStatus(res, statuses.badRequest(`invalid limit ${limitText}`));

  let listRv = store.resourceVersion;
  let after: string | undefined;
  const continueText = query.get('continue');
  if (continueText) {
    const token = decodeContinue(continueText);
    if (!token) return sendStatus(res, statuses.badRequest('invalid continue token'));
    const tooOld = Date.now() - token.issuedAt > ctx.continueTtlMs;
    if (tooOld || token.epoch !== ctx.continueEpoch || token.rv < store.compactedResourceVersion) {
      return sendStatus(res, statuses.expiredContinue());
    }
    listRv = token.rv;
    after = token.after;
  }

  const selector = selectorFrom(query);
  const keys = store.keysFrom(def.plural, namespace, after);
  const head = `{"kind":"${def.kind}List","apiVersion":"${apiVersionOf(def)}","metadata":`;
  res.writeHead(200, { 'content-type': 'application/json' });

  if (limit === 0) {
    // Unlimited list: streamed in batches so a huge list never becomes one string.
    await writeChunk(res, `${head}{"resourceVersion":"${listRv}"},"items":[`);
    let first = true;
    let batch: string[] = [];
    for (const key of keys) {
      const obj = store.objectAt(def.plural, key);
      if (!obj || !selector(obj)) continue;
      batch.push(JSON.stringify(obj));
      if (batch.length >= 200) {
        await writeChunk(res, (first ? '' : ',') + batch.join(','));
        first = false;
        batch = [];
      }
    }
    res.end(`${!first && batch.length > 0 ? ',' : ''}${batch.join(',')}]}`);
    return;
  }

  const items: string[] = [];
  let index = 0;
  let lastKey: string | undefined;
  for (; index < keys.length && items.length < limit; index++) {
    const key = keys[index] as string;
    lastKey = key;
    const obj = store.objectAt(def.plural, key);
    if (obj && selector(obj)) items.push(JSON.stringify(obj));
  }
  const metadata: Record<string, unknown> = { resourceVersion: String(listRv) };
  if (index < keys.length && lastKey !== undefined) {
    metadata.continue = encodeContinue({
      rv: listRv,
      after: lastKey,
      epoch: ctx.continueEpoch,
      issuedAt: Date.now(),
    });
    metadata.remainingItemCount = keys.length - index;
  }
  res.end(`${head}${JSON.stringify(metadata)},"items":[${items.join(',')}]}`);
}

function eventLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

/** GET with watch=1: replay from resourceVersion, then live events, bookmarks, timeout. */
export async function handleWatch(
  ctx: ListWatchContext,
  def: ResourceDef,
  namespace: string | undefined,
  query: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const { store } = ctx;
  const selector = selectorFrom(query);
  const inScope = (obj: KubeObject) =>
    (namespace === undefined || obj.metadata.namespace === namespace) && selector(obj);
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();

  const rvText = query.get('resourceVersion');
  let backlog: StoreEvent[] = [];
  if (!rvText || rvText === '0') {
    // Like the real server: synthetic ADDED for everything that exists now.
    for (const obj of store.list(def.plural, namespace)) {
      if (inScope(obj)) await writeChunk(res, eventLine('ADDED', obj));
    }
  } else {
    const rv = Number(rvText);
    const events = Number.isFinite(rv) ? store.eventsSince(rv, def.plural) : 'expired';
    if (events === 'expired') {
      res.end(
        eventLine('ERROR', statuses.tooOldResourceVersion(rvText, store.compactedResourceVersion)),
      );
      return;
    }
    backlog = events;
  }

  let closed = false;
  const connection: WatchConnection = {
    plural: def.plural,
    stalled: false,
    end: () => finish(),
  };
  const send = (line: string) => {
    if (!closed && !connection.stalled) res.write(line);
  };
  // As the real server: an object modified out of a selector leaves the watch
  // as DELETED, one modified into it arrives as ADDED.
  const forward = (event: StoreEvent) => {
    const now = inScope(event.object);
    const before = event.previous ? inScope(event.previous) : now;
    if (now && before) send(eventLine(event.type, event.object));
    else if (now) send(eventLine('ADDED', event.object));
    else if (before) send(eventLine('DELETED', event.object));
  };
  for (const event of backlog) forward(event);
  const unsubscribe = store.subscribe((event) => {
    if (event.plural === def.plural) forward(event);
  });

  const bookmarks =
    query.get('allowWatchBookmarks') === 'true' || query.get('allowWatchBookmarks') === '1'
      ? setInterval(() => {
          send(
            eventLine('BOOKMARK', {
              kind: def.kind,
              apiVersion: apiVersionOf(def),
              metadata: { resourceVersion: String(store.resourceVersion) },
            }),
          );
        }, ctx.bookmarkIntervalMs)
      : undefined;
  const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);
  const timeout =
    timeoutSeconds > 0 ? setTimeout(() => finish(), timeoutSeconds * 1000) : undefined;

  function finish(): void {
    if (closed) return;
    closed = true;
    unsubscribe();
    if (bookmarks) clearInterval(bookmarks);
    if (timeout) clearTimeout(timeout);
    ctx.watches.delete(connection);
    res.end();
  }
  ctx.watches.add(connection);
  req.on('close', finish);
  res.on('close', finish);
}
