import type { WorkloadKind } from '../../protocol/metering-samples';

/** A controller owner as recorded for a ReplicaSet or Job. */
export interface OwnerRef {
  kind: string;
  name: string;
}

/** Who owns the ReplicaSets and Jobs pods point at (see owner-map.ts). */
export interface OwnerLookup {
  ownerOf(kind: 'ReplicaSet' | 'Job', namespace: string, name: string): OwnerRef | undefined;
}

export interface Workload {
  workloadKind: WorkloadKind;
  workload: string;
}

/**
 * The workload a pod is billed to: a Deployment through its ReplicaSet, a
 * CronJob through its Job, a StatefulSet or DaemonSet directly; a
 * ReplicaSet or Job nobody owns stands for itself. A bare pod, a static
 * pod (owned by its Node) or one of a controller we do not know is billed
 * as itself, so nothing goes missing from a bill.
 */
export function workloadOf(
  pod: { namespace: string; name: string; ownerKind: string; ownerName: string },
  owners: OwnerLookup,
): Workload {
  const { ownerKind, ownerName } = pod;
  if (!ownerName) return { workloadKind: 'Pod', workload: pod.name };
  switch (ownerKind) {
    case 'ReplicaSet': {
      const owner = owners.ownerOf('ReplicaSet', pod.namespace, ownerName);
      return owner?.kind === 'Deployment' && owner.name
        ? { workloadKind: 'Deployment', workload: owner.name }
        : { workloadKind: 'ReplicaSet', workload: ownerName };
    }
    case 'Job': {
      const owner = owners.ownerOf('Job', pod.namespace, ownerName);
      return owner?.kind === 'CronJob' && owner.name
        ? { workloadKind: 'CronJob', workload: owner.name }
        : { workloadKind: 'Job', workload: ownerName };
    }
    case 'StatefulSet':
    case 'DaemonSet':
      return { workloadKind: ownerKind, workload: ownerName };
    default:
      return { workloadKind: 'Pod', workload: pod.name };
  }
}
