import type {
  ClusterInfo,
  DegradedResource,
  EventSummary,
  InventoryChanges,
  InventoryUpdate,
  NamespaceSummary,
  NodeSummary,
} from './inventory';

/** What an inventory update did to the store. */
export type ApplyOutcome = { applied: true; seq: number } | { applied: false; reason: string };

export interface InventoryPage<T> {
  items: T[];
  /** Key of the last item when more may follow. */
  nextAfter?: string;
}

export interface NodeCounts {
  total: number;
  ready: number;
  edge: number;
}

/**
 * The inventory an agent pushed, in the ClusterTunnel's SQLite storage:
 * one row per node / namespace / event, so deltas touch only what changed
 * and lists page by key without loading everything.
 */
export class InventoryStore {
  readonly #sql: SqlStorage;
  readonly #storage: DurableObjectStorage;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#sql.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, ready INTEGER NOT NULL, edge INTEGER NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS namespaces (name TEXT PRIMARY KEY, workspace TEXT, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS events (key TEXT PRIMARY KEY, namespace TEXT NOT NULL, data TEXT NOT NULL);
    `);
  }

  getMeta(key: string): string | undefined {
    const row = this.#sql
      .exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key)
      .toArray()[0];
    return row?.value;
  }

  setMeta(key: string, value: string): void {
    this.#sql.exec(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key,
      value,
    );
  }

  /**
   * Applies a snapshot (replacing everything) or a delta. A delta is only
   * applied on top of the same agent's previous update (seq + 1); anything
   * else asks the agent for a fresh snapshot.
   */
  apply(agentId: string, update: InventoryUpdate): ApplyOutcome {
    if (update.type === 'delta') {
      const source = this.getMeta('inventoryAgent');
      const last = Number(this.getMeta('inventorySeq') ?? Number.NaN);
      if (source !== agentId) return { applied: false, reason: 'no snapshot from this agent yet' };
      if (update.seq !== last + 1)
        return { applied: false, reason: `sequence gap: expected ${last + 1}, got ${update.seq}` };
    }
    this.#storage.transactionSync(() => {
      if (update.type === 'snapshot') {
        this.#sql.exec('DELETE FROM nodes');
        this.#sql.exec('DELETE FROM namespaces');
        this.#sql.exec('DELETE FROM events');
        this.#setCluster(update.cluster);
        this.#changeNodes({ upserts: update.nodes, deletes: [] });
        this.#changeNamespaces({ upserts: update.namespaces, deletes: [] });
        this.#changeEvents({ upserts: update.events, deletes: [] });
      } else {
        if (update.cluster) this.#setCluster(update.cluster);
        if (update.nodes) this.#changeNodes(update.nodes);
        if (update.namespaces) this.#changeNamespaces(update.namespaces);
        if (update.events) this.#changeEvents(update.events);
      }
      this.setMeta('inventoryAgent', agentId);
      this.setMeta('inventorySeq', String(update.seq));
      this.setMeta('inventoryAt', String(Date.now()));
    });
    return { applied: true, seq: update.seq };
  }

  cluster(): ClusterInfo | undefined {
    const raw = this.getMeta('cluster');
    return raw ? (JSON.parse(raw) as ClusterInfo) : undefined;
  }

  nodeCounts(): NodeCounts {
    const row = this.#sql
      .exec<{ total: number; ready: number | null; edge: number | null }>(
        'SELECT COUNT(*) AS total, SUM(ready) AS ready, SUM(edge) AS edge FROM nodes',
      )
      .one();
    return { total: row.total, ready: row.ready ?? 0, edge: row.edge ?? 0 };
  }

  namespaceCount(): number {
    return this.#sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM namespaces').one().n;
  }

  nodes(options: { edgeOnly: boolean; after?: string; limit: number }): InventoryPage<NodeSummary> {
    const rows = this.#sql
      .exec<{ name: string; data: string }>(
        `SELECT name, data FROM nodes WHERE name > ? ${options.edgeOnly ? 'AND edge = 1' : ''} ORDER BY name LIMIT ?`,
        options.after ?? '',
        options.limit + 1,
      )
      .toArray();
    return page(
      rows,
      options.limit,
      (r) => r.name,
      (r) => JSON.parse(r.data) as NodeSummary,
    );
  }

  /** `workspaces` (when given) keeps only namespaces labelled with one of them or named in `names`. */
  namespaces(options: {
    after?: string;
    limit: number;
    only?: { workspaces: string[]; names: string[] };
  }): InventoryPage<NamespaceSummary> {
    const rows = this.#filtered<{ name: string; workspace: string | null; data: string }>(
      'SELECT name, workspace, data FROM namespaces WHERE name > ?',
      'name',
      options,
    );
    return page(
      rows,
      options.limit,
      (r) => r.name,
      (r) => JSON.parse(r.data) as NamespaceSummary,
    );
  }

  events(options: {
    after?: string;
    limit: number;
    only?: { workspaces: string[]; names: string[] };
  }): InventoryPage<EventSummary> {
    const rows = this.#filtered<{ key: string; data: string }>(
      'SELECT e.key AS key, e.data AS data FROM events e LEFT JOIN namespaces n ON n.name = e.namespace WHERE e.key > ?',
      'e.key',
      options,
      { workspace: 'n.workspace', name: 'e.namespace' },
    );
    return page(
      rows,
      options.limit,
      (r) => r.key,
      (r) => JSON.parse(r.data) as EventSummary,
    );
  }

  /** What one agent replica last said it cannot read (its `agent-status` frame). */
  setDegraded(agentId: string, degraded: DegradedResource[]): void {
    if (degraded.length === 0)
      this.#sql.exec('DELETE FROM meta WHERE key = ?', `degraded:${agentId}`);
    else this.setMeta(`degraded:${agentId}`, JSON.stringify(degraded));
  }

  /** The union of what these (live) agents cannot read, one entry per resource, sorted. */
  degraded(agentIds: readonly string[]): DegradedResource[] {
    const byResource = new Map<string, DegradedResource>();
    for (const agentId of agentIds) {
      const raw = this.getMeta(`degraded:${agentId}`);
      if (!raw) continue;
      for (const entry of JSON.parse(raw) as DegradedResource[])
        if (!byResource.has(entry.resource)) byResource.set(entry.resource, entry);
    }
    return [...byResource.values()].sort((a, b) => a.resource.localeCompare(b.resource));
  }

  /** Forgets everything (the cluster was deleted). */
  clear(): void {
    this.#sql.exec(
      'DELETE FROM nodes; DELETE FROM namespaces; DELETE FROM events; DELETE FROM meta;',
    );
  }

  #filtered<T extends Record<string, SqlStorageValue>>(
    base: string,
    orderBy: string,
    options: { after?: string; limit: number; only?: { workspaces: string[]; names: string[] } },
    columns = { workspace: 'workspace', name: 'name' },
  ): T[] {
    const bindings: SqlStorageValue[] = [options.after ?? ''];
    let where = '';
    if (options.only) {
      const { workspaces, names } = options.only;
      const parts: string[] = [];
      if (workspaces.length) {
        parts.push(`${columns.workspace} IN (${workspaces.map(() => '?').join(',')})`);
        bindings.push(...workspaces);
      }
      if (names.length) {
        parts.push(`${columns.name} IN (${names.map(() => '?').join(',')})`);
        bindings.push(...names);
      }
      if (parts.length === 0) return [];
      where = ` AND (${parts.join(' OR ')})`;
    }
    bindings.push(options.limit + 1);
    return this.#sql.exec<T>(`${base}${where} ORDER BY ${orderBy} LIMIT ?`, ...bindings).toArray();
  }

  #setCluster(info: ClusterInfo): void {
    this.setMeta('cluster', JSON.stringify(info));
  }

  #changeNodes(changes: InventoryChanges<NodeSummary>): void {
    for (const name of changes.deletes) this.#sql.exec('DELETE FROM nodes WHERE name = ?', name);
    for (const node of changes.upserts)
      this.#sql.exec(
        'INSERT OR REPLACE INTO nodes (name, ready, edge, data) VALUES (?, ?, ?, ?)',
        node.name,
        node.ready ? 1 : 0,
        node.edge ? 1 : 0,
        JSON.stringify(node),
      );
  }

  #changeNamespaces(changes: InventoryChanges<NamespaceSummary>): void {
    for (const name of changes.deletes)
      this.#sql.exec('DELETE FROM namespaces WHERE name = ?', name);
    for (const ns of changes.upserts)
      this.#sql.exec(
        'INSERT OR REPLACE INTO namespaces (name, workspace, data) VALUES (?, ?, ?)',
        ns.name,
        ns.workspace ?? null,
        JSON.stringify(ns),
      );
  }

  #changeEvents(changes: InventoryChanges<EventSummary>): void {
    for (const key of changes.deletes) this.#sql.exec('DELETE FROM events WHERE key = ?', key);
    for (const event of changes.upserts)
      this.#sql.exec(
        'INSERT OR REPLACE INTO events (key, namespace, data) VALUES (?, ?, ?)',
        event.key,
        event.namespace,
        JSON.stringify(event),
      );
  }
}

function page<R, T>(
  rows: R[],
  limit: number,
  keyOf: (row: R) => string,
  parse: (row: R) => T,
): InventoryPage<T> {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const last = kept.at(-1);
  const result: InventoryPage<T> = { items: kept.map(parse) };
  if (more && last !== undefined) result.nextAfter = keyOf(last);
  return result;
}
