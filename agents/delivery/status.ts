import {
  DELIVERY_LABELS,
  type DeliveredResource,
  type DeliveryAppStatus,
  type DeliveryState,
  type KubeObject,
} from '../../protocol/delivery';
import { type AppRecord, truncate } from './app-record';
import { readinessOf } from './readiness';

/** A delivered object as the watch sees it: whether the watch has synced, and the live copy. */
export interface LiveLookup {
  synced: boolean;
  live: KubeObject | undefined;
}

/**
 * An app's status in this cluster: by its phase while applying or deleting,
 * else by every desired object's live readiness (the workloads' own status,
 * at the app's generation), failing a generation not ready within its
 * progress deadline. Marks the record `wasReady` once ready.
 */
export function statusOf(
  record: AppRecord,
  liveOf: (obj: KubeObject) => LiveLookup,
): DeliveryAppStatus {
  const generation = record.app?.generation ?? 0;
  const base = { appId: record.appId, generation };
  const resources: DeliveredResource[] = [];
  const state = (s: DeliveryState, message?: string): DeliveryAppStatus => ({
    ...base,
    state: s,
    ...(message ? { message: truncate(message, 2048) } : {}),
    resources: resources.slice(0, 1000),
  });
  if (record.phase === 'deleting') return state('deleting', record.message);
  if (record.phase === 'deleted') return state('deleted');
  let failure: string | undefined;
  let waiting: string | undefined;
  for (const obj of record.desired.values()) {
    const { synced, live } = liveOf(obj);
    const labels = (live?.metadata as { labels?: Record<string, string> } | undefined)?.labels;
    const readiness = !synced
      ? { ready: false, message: 'waiting for the watch' }
      : !live
        ? { ready: false, message: 'not found' }
        : labels?.[DELIVERY_LABELS.generation] !== String(generation)
          ? { ready: false, message: `not yet at generation ${generation}` }
          : readinessOf(live);
    const name = `${obj.kind}/${obj.metadata.name}`;
    if (readiness.failed && !failure) failure = `${name}: ${readiness.message ?? 'failed'}`;
    if (!readiness.ready && !waiting) waiting = `${name}: ${readiness.message ?? 'not ready'}`;
    resources.push({
      apiVersion: obj.apiVersion,
      kind: obj.kind,
      name: obj.metadata.name,
      ready: readiness.ready,
      ...(readiness.message ? { message: truncate(readiness.message, 1024) } : {}),
    });
  }
  if (record.phase === 'failed') return state('failed', record.message);
  if (record.phase === 'pending') return state('pending', record.message);
  if (record.phase === 'applying') return state('progressing', record.message);
  if (failure) return state('failed', failure);
  if (!waiting) {
    record.wasReady = true;
    return state('ready');
  }
  const deadline = (record.app?.progressDeadlineSeconds ?? 600) * 1000;
  if (
    !record.wasReady &&
    record.appliedAt !== undefined &&
    Date.now() - record.appliedAt > deadline
  )
    return state('failed', `not ready within ${deadline / 1000} s: ${waiting}`);
  return state('progressing', waiting);
}
