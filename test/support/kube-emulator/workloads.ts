/**
 * The controllers of an emulated cluster, as far as delivery needs them:
 * a Deployment, StatefulSet or DaemonSet written with a new generation
 * becomes ready after `readyDelayMs`; one whose pod template runs an image
 * containing "broken" never does, and a Deployment then reports
 * Progressing=False / ProgressDeadlineExceeded after `failDelayMs`. Jobs
 * complete (or fail, broken), claims bind. Delays are fixed (no jitter) and
 * tests can pause the controllers and resume them.
 */
import type { KubeStore, StoreEvent } from './store';
import type { KubeObject } from './types';

export interface WorkloadOptions {
  /** From a write to ready (default 100 ms). */
  readyDelayMs?: number;
  /** From a write to a broken Deployment's ProgressDeadlineExceeded (default 300 ms). */
  failDelayMs?: number;
}

export interface WorkloadControllers {
  /** Holds every status change until `resume()`. */
  pause(): void;
  resume(): void;
  setDelays(options: WorkloadOptions): void;
  stop(): void;
}

type Json = Record<string, unknown>;
const SIMULATED = new Set([
  'deployments',
  'statefulsets',
  'daemonsets',
  'jobs',
  'persistentvolumeclaims',
]);

const template = (obj: KubeObject): Json =>
  ((obj.spec as Json | undefined)?.template as Json | undefined) ?? {};
function isBroken(obj: KubeObject): boolean {
  const podSpec = (template(obj).spec as Json | undefined) ?? {};
  const containers = [
    ...((podSpec.containers as Json[] | undefined) ?? []),
    ...((podSpec.initContainers as Json[] | undefined) ?? []),
  ];
  return containers.some((c) => String(c.image ?? '').includes('broken'));
}
const replicasOf = (obj: KubeObject) => {
  const n = (obj.spec as Json | undefined)?.replicas;
  return typeof n === 'number' ? n : 1;
};
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const condition = (type: string, status: string, reason: string, message: string) => ({
  type,
  status,
  reason,
  message,
  lastUpdateTime: now(),
  lastTransitionTime: now(),
});

export function startWorkloadControllers(
  store: KubeStore,
  options: WorkloadOptions = {},
): WorkloadControllers {
  let readyDelayMs = options.readyDelayMs ?? 100;
  let failDelayMs = options.failDelayMs ?? 300;
  let paused = false;
  const held: (() => void)[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  /** plural/ns/name → the generation already scheduled. */
  const scheduled = new Map<string, number>();

  const later = (ms: number, change: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (paused) held.push(change);
      else change();
    }, ms);
    timers.add(timer);
  };

  /** Sets the status of the object as it is now, if it still has `generation`. */
  const setStatus = (
    plural: string,
    obj: KubeObject,
    generation: number,
    status: (o: KubeObject) => Json,
  ) => {
    const { namespace, name } = obj.metadata;
    const current = store.get(plural, namespace, name);
    if (!current || Number(current.metadata.generation ?? 0) !== generation) return;
    store.patch(plural, namespace, name, (o) => {
      o.status = status(o);
    });
  };

  const deployment = (obj: KubeObject, generation: number) => {
    const name = obj.metadata.name;
    if (isBroken(obj)) {
      later(readyDelayMs, () =>
        setStatus('deployments', obj, generation, (o) => ({
          observedGeneration: generation,
          replicas: replicasOf(o),
          updatedReplicas: replicasOf(o),
          readyReplicas: 0,
          availableReplicas: 0,
          unavailableReplicas: replicasOf(o),
          conditions: [
            condition(
              'Available',
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            ),
            condition(
              'Progressing',
              'True',
              'ReplicaSetUpdated',
              `ReplicaSet "${name}" is progressing.`,
            ),
          ],
        })),
      );
      later(failDelayMs, () =>
        setStatus('deployments', obj, generation, (o) => ({
          ...(o.status as Json),
          conditions: [
            condition(
              'Available',
              'False',
              'MinimumReplicasUnavailable',
              'Deployment does not have minimum availability.',
            ),
            condition(
              'Progressing',
              'False',
              'ProgressDeadlineExceeded',
              `ReplicaSet "${name}" has timed out progressing.`,
            ),
          ],
        })),
      );
      return;
    }
    later(readyDelayMs, () =>
      setStatus('deployments', obj, generation, (o) => ({
        observedGeneration: generation,
        replicas: replicasOf(o),
        updatedReplicas: replicasOf(o),
        readyReplicas: replicasOf(o),
        availableReplicas: replicasOf(o),
        conditions: [
          condition(
            'Available',
            'True',
            'MinimumReplicasAvailable',
            'Deployment has minimum availability.',
          ),
          condition(
            'Progressing',
            'True',
            'NewReplicaSetAvailable',
            `ReplicaSet "${name}" has successfully progressed.`,
          ),
        ],
      })),
    );
  };

  const onEvent = (event: StoreEvent) => {
    if (!SIMULATED.has(event.plural)) return;
    const obj = event.object;
    const key = `${event.plural}/${obj.metadata.namespace}/${obj.metadata.name}`;
    // A re-created object starts again at generation 1.
    if (event.type === 'DELETED') return void scheduled.delete(key);
    if (event.plural === 'persistentvolumeclaims') {
      if ((obj.status as Json | undefined)?.phase === 'Bound' || scheduled.has(key)) return;
      scheduled.set(key, 0);
      later(readyDelayMs, () => {
        scheduled.delete(key);
        const { namespace, name } = obj.metadata;
        if (store.get('persistentvolumeclaims', namespace, name))
          store.patch('persistentvolumeclaims', namespace, name, (o) => {
            o.status = {
              phase: 'Bound',
              accessModes: (o.spec as Json | undefined)?.accessModes ?? [],
            };
          });
      });
      return;
    }
    const generation = Number(obj.metadata.generation ?? 0);
    const observed = Number((obj.status as Json | undefined)?.observedGeneration ?? 0);
    if (!generation || observed >= generation || scheduled.get(key) === generation) return;
    scheduled.set(key, generation);
    const broken = isBroken(obj);
    switch (event.plural) {
      case 'deployments':
        return deployment(obj, generation);
      case 'statefulsets':
        return later(readyDelayMs, () =>
          setStatus('statefulsets', obj, generation, (o) => ({
            observedGeneration: generation,
            replicas: replicasOf(o),
            currentReplicas: replicasOf(o),
            updatedReplicas: replicasOf(o),
            readyReplicas: broken ? 0 : replicasOf(o),
            availableReplicas: broken ? 0 : replicasOf(o),
          })),
        );
      case 'daemonsets':
        return later(readyDelayMs, () =>
          setStatus('daemonsets', obj, generation, () => {
            const nodes = store.count('nodes');
            return {
              observedGeneration: generation,
              desiredNumberScheduled: nodes,
              currentNumberScheduled: nodes,
              updatedNumberScheduled: nodes,
              numberReady: broken ? 0 : nodes,
              numberAvailable: broken ? 0 : nodes,
            };
          }),
        );
      case 'jobs':
        return later(broken ? failDelayMs : readyDelayMs, () =>
          setStatus('jobs', obj, generation, (o) => {
            const completions = Number((o.spec as Json | undefined)?.completions ?? 1);
            return broken
              ? {
                  observedGeneration: generation,
                  failed: 1,
                  conditions: [
                    condition(
                      'Failed',
                      'True',
                      'BackoffLimitExceeded',
                      'Job has reached the specified backoff limit',
                    ),
                  ],
                }
              : {
                  observedGeneration: generation,
                  succeeded: completions,
                  completionTime: now(),
                  conditions: [condition('Complete', 'True', 'Completed', 'Job completed')],
                };
          }),
        );
    }
  };
  const unsubscribe = store.subscribe(onEvent);
  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
      for (const change of held.splice(0)) change();
    },
    setDelays: (next) => {
      readyDelayMs = next.readyDelayMs ?? readyDelayMs;
      failDelayMs = next.failDelayMs ?? failDelayMs;
    },
    stop: () => {
      unsubscribe();
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
