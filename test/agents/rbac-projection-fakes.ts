import type { InformerEvent } from '../../agents/informers';
import type { NamespaceView } from '../../agents/rbac-projection/desired';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  observedRecord,
  type RbacKind,
  type RbacRecord,
} from '../../agents/rbac-projection/objects';
import type { ObjectSource, RbacWriter } from '../../agents/rbac-projection/rbac-api';
import type { RoleProjectionFrame } from '../../functions/projection/frames';

/** A list-watch source fed by the test (client-go's fake ListerWatcher). */
export class FakeSource<T> implements ObjectSource<T> {
  readonly items = new Map<string, T>();
  readonly hasSynced = true;
  readonly #listeners = new Set<(event: InformerEvent<T>) => void>();
  on(listener: (event: InformerEvent<T>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  waitForSync(): Promise<void> {
    return Promise.resolve();
  }
  upsert(key: string, item: T): void {
    const previous = this.items.get(key);
    this.items.set(key, item);
    for (const l of this.#listeners)
      l(
        previous === undefined
          ? { type: 'upsert', key, item }
          : { type: 'upsert', key, item, previous },
      );
  }
  remove(key: string): void {
    const previous = this.items.get(key);
    if (previous === undefined) return;
    this.items.delete(key);
    for (const l of this.#listeners) l({ type: 'delete', key, previous });
  }
}

type Raw = Record<string, unknown> & { metadata: Record<string, unknown> };

/**
 * An in-memory RBAC API: objects by kind/namespace/name with
 * resourceVersions, label-selected sources that see objects enter and
 * leave the managed set, and a writer with the API server's semantics
 * (AlreadyExists, preconditions, 404). Every write is recorded.
 */
export class FakeRbacCluster {
  readonly objects = new Map<string, Raw>();
  readonly roleBindings = new FakeSource<RbacRecord>();
  readonly roles = new FakeSource<RbacRecord>();
  readonly namespaces = new FakeSource<NamespaceView>();
  readonly writes: string[] = [];
  #rv = 0;

  key(kind: RbacKind, namespace: string, name: string) {
    return `${kind}/${namespace}/${name}`;
  }

  addNamespace(name: string, workspace?: string, phase = 'Active'): void {
    this.namespaces.upsert(name, { name, ...(workspace ? { workspace } : {}), phase });
  }

  get(kind: RbacKind, namespace: string, name: string): Raw | undefined {
    return this.objects.get(this.key(kind, namespace, name));
  }

  /** Stores an object as anyone else would (kubectl): no write is recorded. */
  put(kind: RbacKind, raw: Raw): void {
    const namespace = String(raw.metadata.namespace);
    const name = String(raw.metadata.name);
    const stored = structuredClone(raw);
    stored.metadata.resourceVersion = String(++this.#rv);
    this.objects.set(this.key(kind, namespace, name), stored);
    this.#notify(kind, namespace, name);
  }

  drop(kind: RbacKind, namespace: string, name: string): void {
    this.objects.delete(this.key(kind, namespace, name));
    this.#notify(kind, namespace, name);
  }

  #source(kind: RbacKind) {
    return kind === 'Role' ? this.roles : this.roleBindings;
  }

  #notify(kind: RbacKind, namespace: string, name: string): void {
    const raw = this.get(kind, namespace, name);
    const labelled =
      raw &&
      (raw.metadata.labels as Record<string, string> | undefined)?.[MANAGED_BY_LABEL] ===
        MANAGED_BY;
    const record = labelled ? observedRecord(kind, raw) : undefined;
    if (record) this.#source(kind).upsert(`${namespace}/${name}`, record);
    else this.#source(kind).remove(`${namespace}/${name}`);
  }

  managed(kind: RbacKind): Raw[] {
    return [...this.objects.entries()]
      .filter(
        ([k, raw]) =>
          k.startsWith(`${kind}/`) &&
          (raw.metadata.labels as Record<string, string> | undefined)?.[MANAGED_BY_LABEL] ===
            MANAGED_BY,
      )
      .map(([, raw]) => raw);
  }

  writer(): RbacWriter {
    return {
      create: async (record) => {
        this.writes.push(`create ${record.kind} ${record.namespace}/${record.name}`);
        if (this.get(record.kind, record.namespace, record.name)) return 'exists';
        this.put(record.kind, record.body as Raw);
        return 'ok';
      },
      replace: async (record, resourceVersion) => {
        this.writes.push(`replace ${record.kind} ${record.namespace}/${record.name}`);
        const current = this.get(record.kind, record.namespace, record.name);
        if (!current) return 'gone';
        if (current.metadata.resourceVersion !== resourceVersion) return 'conflict';
        this.put(record.kind, record.body as Raw);
        return 'ok';
      },
      remove: async (kind, namespace, name, resourceVersion) => {
        this.writes.push(`delete ${kind} ${namespace}/${name}`);
        const current = this.get(kind, namespace, name);
        if (!current) return 'gone';
        if (current.metadata.resourceVersion !== resourceVersion) return 'conflict';
        this.drop(kind, namespace, name);
        return 'ok';
      },
      read: async (kind, namespace, name) => {
        const raw = this.get(kind, namespace, name);
        return raw ? observedRecord(kind, raw) : undefined;
      },
    };
  }
}

let revision = 0;
/** A projection frame (hash and revision filled in). */
export function frame(
  content: Pick<RoleProjectionFrame, 'workspaces' | 'namespaces'>,
): RoleProjectionFrame {
  revision++;
  return { type: 'role-projection', revision, hash: `h${revision}`, ...content };
}

export const user = (name: string) => ({ kind: 'User' as const, name });
export const group = (name: string) => ({ kind: 'Group' as const, name });
export const clusterRole = (name: 'admin' | 'edit' | 'view') => ({
  kind: 'ClusterRole' as const,
  name,
});
