import type { DegradedRegistry } from '../degraded';
import { RESOURCES } from '../discovery';
import { Informer } from '../informers';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import { memoryBytes } from '../quantity';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json => (value && typeof value === 'object' ? (value as Json) : {});

/** A PVC as metering needs it: its requested storage in bytes, nothing else. */
export function projectPvcRequest(raw: unknown): number | undefined {
  const storage = obj(obj(obj(obj(raw).spec).resources).requests).storage;
  return typeof storage === 'string' ? memoryBytes(storage) : 0;
}

/** Requested bytes per PVC ("namespace/name"), from a projected informer. */
export function startPvcSizes(options: {
  client: KubeClient;
  log: Logger;
  stallTimeoutMs?: number;
  degraded?: DegradedRegistry;
}): Informer<number> {
  const informer = new Informer<number>({
    name: 'persistentvolumeclaims',
    client: options.client,
    path: '/api/v1/persistentvolumeclaims',
    project: projectPvcRequest,
    report: options.degraded?.reporter(
      'metering/persistentvolumeclaims',
      RESOURCES.persistentvolumeclaims.resource,
    ),
    log: options.log.child({ informer: 'persistentvolumeclaims' }),
    stallTimeoutMs: options.stallTimeoutMs,
  });
  informer.start();
  return informer;
}
