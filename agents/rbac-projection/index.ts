import type {
  RoleProjectionFrame,
  RoleProjectionStatusFrame,
} from '../../functions/projection/frames';
import type { KubeClient } from '../kube';
import type { Logger } from '../log';
import type { NamespaceView } from './desired';
import { kubeRbacWriter, managedInformers, type ObjectSource } from './rbac-api';
import { RbacProjectionReconciler } from './reconciler';

export interface RbacProjectionOptions {
  client: KubeClient;
  /** The leader's namespace informer (the inventory pipeline's). */
  namespaces: ObjectSource<NamespaceView>;
  log: Logger;
  report: (status: RoleProjectionStatusFrame) => void;
  /** The last projection the edge sent (it may have come before this term began). */
  initial?: RoleProjectionFrame;
  agentNamespace?: string;
  stallTimeoutMs?: number;
}

export interface RbacProjection {
  setDesired(frame: RoleProjectionFrame): void;
  /** Reconcile now (after a reconnect). */
  resync(): void;
  reconciler: RbacProjectionReconciler;
  stop(): Promise<void>;
}

/**
 * Role projection for one leadership term: watches the managed RoleBindings
 * and Roles and keeps them equal to the edge's projection until stopped.
 */
export function startRbacProjection(options: RbacProjectionOptions): RbacProjection {
  const { roleBindings, roles } = managedInformers(
    options.client,
    options.log,
    options.stallTimeoutMs,
  );
  const reconciler = new RbacProjectionReconciler({
    roleBindings,
    roles,
    namespaces: options.namespaces,
    writer: kubeRbacWriter(options.client),
    log: options.log,
    report: options.report,
    agentNamespace: options.agentNamespace,
  });
  roleBindings.start();
  roles.start();
  if (options.initial) reconciler.setDesired(options.initial);
  return {
    setDesired: (frame) => reconciler.setDesired(frame),
    resync: () => reconciler.schedule(0),
    reconciler,
    async stop() {
      reconciler.stop();
      await Promise.all([roleBindings.stop(), roles.stop()]);
    },
  };
}
