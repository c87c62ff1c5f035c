import type { DegradedRegistry } from '../degraded';
import { RESOURCES, type ResourceRef } from '../discovery';
import { Informer } from '../informers';
import type { StringPool } from '../intern';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import type { OwnerLookup, OwnerRef } from './attribution';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});

/**
 * The controller owner of a ReplicaSet or Job, or nothing: ReplicaSets and
 * Jobs without an owner are not kept at all (their pods are billed to them
 * directly), so the map holds one small record per owned object.
 */
export function projectControllerOwner(raw: unknown, pool: StringPool): OwnerRef | undefined {
  const refs = obj(obj(raw).metadata).ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  const ref = obj(refs.find((r) => obj(r).controller === true) ?? refs[0]);
  const kind = ref.kind;
  const name = ref.name;
  if (typeof kind !== 'string' || typeof name !== 'string' || !name) return undefined;
  // Names are mostly unique: interning them would only grow the pool.
  return { kind: pool.intern(kind), name };
}

export interface OwnerMap extends OwnerLookup {
  informers: Informer<OwnerRef>[];
  waitForSync(): Promise<void>;
  stop(): Promise<void>;
}

/** ReplicaSet → Deployment and Job → CronJob, from two projected informers. */
export function startOwnerMap(options: {
  client: KubeClient;
  log: Logger;
  pool: StringPool;
  stallTimeoutMs?: number;
  degraded?: DegradedRegistry;
}): OwnerMap {
  const make = (name: string, ref: ResourceRef) =>
    new Informer<OwnerRef>({
      name,
      client: options.client,
      path: `/apis/${ref.group}/${ref.versions[0]}/${ref.plural}`,
      report: options.degraded?.reporter(`metering/${name}`, ref.resource),
      project: (raw) => projectControllerOwner(raw, options.pool),
      log: options.log.child({ informer: name }),
      stallTimeoutMs: options.stallTimeoutMs,
    });
  const replicaSets = make('replicasets', RESOURCES.replicasets);
  const jobs = make('jobs-owners', RESOURCES.jobs);
  const informers = [replicaSets, jobs];
  for (const informer of informers) informer.start();
  return {
    informers,
    ownerOf: (kind, namespace, name) =>
      (kind === 'ReplicaSet' ? replicaSets : jobs).items.get(`${namespace}/${name}`),
    // Settled, not synced: an unreadable owner kind bills pods to their direct owner instead.
    waitForSync: async () => {
      await Promise.all(informers.map((i) => i.waitForSettled()));
    },
    stop: async () => {
      await Promise.all(informers.map((i) => i.stop()));
    },
  };
}
