import type { KubeObject } from '../../protocol/delivery';

/** One object's readiness by its own status; `failed` when it will not get there by itself. */
export interface Readiness {
  ready: boolean;
  failed?: boolean;
  message?: string;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}
const conditions = (status: Json): Condition[] =>
  Array.isArray(status.conditions) ? (status.conditions as Condition[]) : [];

/** The controller has seen the latest spec (else the counts below describe an older one). */
function observed(live: KubeObject, status: Json): Readiness | undefined {
  const generation = num((live.metadata as Json).generation);
  const seen = num(status.observedGeneration);
  return seen < generation
    ? { ready: false, message: `waiting for the controller to observe generation ${generation}` }
    : undefined;
}

function deployment(live: KubeObject, spec: Json, status: Json): Readiness {
  const stuck = conditions(status).find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (stuck)
    return { ready: false, failed: true, message: stuck.message ?? 'ProgressDeadlineExceeded' };
  const pending = observed(live, status);
  if (pending) return pending;
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const updated = num(status.updatedReplicas);
  const ready = num(status.readyReplicas);
  const available = num(status.availableReplicas);
  const total = num(status.replicas);
  if (updated === want && ready === want && available === want && total <= want)
    return { ready: true };
  return {
    ready: false,
    message: `${updated}/${want} updated, ${ready} ready, ${available} available`,
  };
}

function statefulSet(live: KubeObject, spec: Json, status: Json): Readiness {
  const pending = observed(live, status);
  if (pending) return pending;
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  const updated = num(status.updatedReplicas);
  const ready = num(status.readyReplicas);
  if (updated === want && ready === want) return { ready: true };
  return { ready: false, message: `${updated}/${want} updated, ${ready} ready` };
}

function daemonSet(live: KubeObject, status: Json): Readiness {
  const pending = observed(live, status);
  if (pending) return pending;
  const desired = num(status.desiredNumberScheduled);
  const updated = num(status.updatedNumberScheduled);
  const ready = num(status.numberReady);
  if (updated === desired && ready === desired) return { ready: true };
  return { ready: false, message: `${updated}/${desired} updated, ${ready} ready` };
}

function job(status: Json): Readiness {
  const all = conditions(status);
  const failed = all.find((c) => c.type === 'Failed' && c.status === 'True');
  if (failed)
    return { ready: false, failed: true, message: failed.message ?? failed.reason ?? 'Failed' };
  if (all.some((c) => c.type === 'Complete' && c.status === 'True')) return { ready: true };
  return {
    ready: false,
    message: `${num(status.succeeded)} succeeded, ${num(status.active)} active`,
  };
}

/**
 * Ready means ready: workloads by their own status (observedGeneration,
 * updated/ready/available replicas, Job completion), claims when Bound;
 * every other kind is ready once it exists as applied.
 */
export function readinessOf(live: KubeObject): Readiness {
  const spec = obj(live.spec);
  const status = obj(live.status);
  const group = live.apiVersion.includes('/') ? live.apiVersion.split('/')[0] : '';
  switch (`${group}/${live.kind}`) {
    case 'apps/Deployment':
      return deployment(live, spec, status);
    case 'apps/StatefulSet':
      return statefulSet(live, spec, status);
    case 'apps/DaemonSet':
      return daemonSet(live, status);
    case 'batch/Job':
      return job(status);
    case '/PersistentVolumeClaim':
      return status.phase === 'Bound'
        ? { ready: true }
        : { ready: false, message: `claim is ${String(status.phase ?? 'Pending')}` };
    default:
      return { ready: true };
  }
}
