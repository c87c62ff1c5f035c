import type {
  DeliveryApp,
  DeliveryStateFrame,
  DeliveryStatusFrame,
  KubeObject,
} from '../../protocol/delivery';
import { Informer } from '../informers';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import { DeliveryController } from './controller';
import { impersonating, kubeDeliveryApi } from './delivery-api';
import { appSelector, deliveredSelector } from './objects';
import { ResourceResolver } from './resources';

export { DeliveryController } from './controller';
export { AGENT_READABLE_KINDS } from './kinds';

export interface DeliveryOptions {
  client: KubeClient;
  log: Logger;
  send: (frame: DeliveryStatusFrame | DeliveryStateFrame) => boolean;
  /** Apps the edge described before this term began (every replica keeps the frames). */
  initial?: readonly DeliveryApp[];
  stallTimeoutMs?: number;
  debounceMs?: number;
}

/**
 * What the watch keeps of a delivered object: everything drift and
 * readiness compare, minus managedFields (large, not compared) and Secret
 * payloads (the agent never holds them in memory).
 */
export function liveRecord(raw: unknown): KubeObject | undefined {
  const obj = raw as KubeObject | undefined;
  if (!obj?.metadata?.name) return undefined;
  const { managedFields: _m, ...metadata } = obj.metadata as KubeObject['metadata'] & {
    managedFields?: unknown;
  };
  const {
    data: _d,
    stringData: _s,
    ...rest
  } = obj as KubeObject & { data?: unknown; stringData?: unknown };
  return { ...(obj.kind === 'Secret' ? rest : obj), metadata } as KubeObject;
}

/** Application delivery for one leadership term, over the agent's kube client. */
export function startDelivery(options: DeliveryOptions): DeliveryController {
  const resolver = new ResourceResolver(options.client);
  const controller = new DeliveryController({
    api: kubeDeliveryApi(options.client, resolver),
    resolve: (apiVersion, kind) => resolver.resolve(apiVersion, kind),
    watch: (resource, scope) => {
      const informer = new Informer<KubeObject>({
        name: `delivered-${resource.plural}`,
        // Kinds the agent may not read: one app's objects, watched as its editor.
        client: scope ? impersonating(options.client, scope.identity) : options.client,
        path: resource.collection(scope?.namespace),
        labelSelector: scope ? appSelector(scope.appId) : deliveredSelector,
        // List items carry no apiVersion/kind: the resource says what they are.
        project: (raw) => {
          const record = liveRecord(raw);
          return record && { ...record, apiVersion: resource.apiVersion, kind: resource.kind };
        },
        log: options.log.child({ informer: `delivered-${resource.plural}` }),
        stallTimeoutMs: options.stallTimeoutMs,
      });
      informer.start();
      return informer;
    },
    send: options.send,
    log: options.log,
    debounceMs: options.debounceMs,
  });
  if (options.initial?.length) controller.apply(options.initial);
  return controller;
}
