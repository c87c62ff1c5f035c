import type { InformerEvent } from '../informers';
import { Informer } from '../informers';
import { type KubeClient, kubeErrorFrom } from '../kube';
import type { Logger } from '../log';
import {
  MANAGED_SELECTOR,
  observedRecord,
  RBAC_GROUP,
  type RbacKind,
  type RbacRecord,
} from './objects';

/**
 * A list-watch cache the reconciler reads (client-go's ListerWatcher +
 * Store): the agent's Informer satisfies it; unit tests feed a fake one,
 * so they need no API server.
 */
export interface ObjectSource<T> {
  readonly items: ReadonlyMap<string, T>;
  readonly hasSynced: boolean;
  on(listener: (event: InformerEvent<T>) => void): () => void;
  waitForSync(): Promise<void>;
}

/** What a write came to. `exists`: the name is taken (by an object edgetower may not manage). */
export type WriteOutcome = 'ok' | 'exists' | 'conflict' | 'gone';

/** The writes the reconciler makes; the kube implementation is below, tests bring their own. */
export interface RbacWriter {
  create(record: RbacRecord): Promise<WriteOutcome>;
  /** Replaces the object if it still has `resourceVersion` (else `conflict`). */
  replace(record: RbacRecord, resourceVersion: string): Promise<WriteOutcome>;
  /** Deletes the object if it still has `resourceVersion` (else `conflict`; `gone` if absent). */
  remove(
    kind: RbacKind,
    namespace: string,
    name: string,
    resourceVersion: string,
  ): Promise<WriteOutcome>;
  /** The object as the API server has it now, managed or not. */
  read(kind: RbacKind, namespace: string, name: string): Promise<RbacRecord | undefined>;
}

const plural = (kind: RbacKind) => (kind === 'Role' ? 'roles' : 'rolebindings');
const base = `/apis/${RBAC_GROUP}/v1`;
const objectPath = (kind: RbacKind, namespace: string, name?: string) =>
  `${base}/namespaces/${encodeURIComponent(namespace)}/${plural(kind)}${name ? `/${encodeURIComponent(name)}` : ''}`;

/** RbacWriter over the agent's kube client (its own ServiceAccount, never impersonating). */
export function kubeRbacWriter(client: KubeClient): RbacWriter {
  const send = async (
    method: string,
    path: string,
    body: unknown,
    what: string,
  ): Promise<WriteOutcome> => {
    const res = await client.request({
      method,
      path,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status >= 200 && res.status < 300) {
      await res.text().catch(() => '');
      return 'ok';
    }
    if (res.status === 404) {
      await res.text().catch(() => '');
      return 'gone';
    }
    if (res.status === 409) {
      const error = await kubeErrorFrom(res, what);
      return error.reason === 'AlreadyExists' ? 'exists' : 'conflict';
    }
    throw await kubeErrorFrom(res, what);
  };
  return {
    create: (record) =>
      send('POST', objectPath(record.kind, record.namespace), record.body, `create ${record.kind}`),
    replace: (record, resourceVersion) => {
      const body = record.body as { metadata: Record<string, unknown> };
      return send(
        'PUT',
        objectPath(record.kind, record.namespace, record.name),
        { ...body, metadata: { ...body.metadata, resourceVersion } },
        `replace ${record.kind}`,
      );
    },
    remove: (kind, namespace, name, resourceVersion) =>
      send(
        'DELETE',
        objectPath(kind, namespace, name),
        { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { resourceVersion } },
        `delete ${kind}`,
      ),
    async read(kind, namespace, name) {
      const res = await client.request({ path: objectPath(kind, namespace, name) });
      if (res.status === 404) {
        await res.text().catch(() => '');
        return undefined;
      }
      if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `get ${kind}`);
      return observedRecord(kind, await res.json());
    },
  };
}

/** Cluster-wide informers of the RoleBindings and Roles labelled managed-by=edgetower. */
export function managedInformers(
  client: KubeClient,
  log: Logger,
  stallTimeoutMs?: number,
): { roleBindings: Informer<RbacRecord>; roles: Informer<RbacRecord> } {
  const make = (kind: RbacKind) =>
    new Informer<RbacRecord>({
      name: `managed-${plural(kind)}`,
      client,
      path: `${base}/${plural(kind)}`,
      labelSelector: MANAGED_SELECTOR,
      project: (raw) => observedRecord(kind, raw),
      log: log.child({ informer: plural(kind) }),
      stallTimeoutMs,
    });
  return { roleBindings: make('RoleBinding'), roles: make('Role') };
}
