import type { MeteringStoreBinding } from './metering-store';

/**
 * A cluster's MeteringStore, by the cluster's immutable id: a cluster
 * deleted and registered again under the same name gets a new, empty store
 * (issue #12, attack 7). The `cluster-id:` prefix cannot collide with the
 * legacy names below, even for a cluster whose name looks like a UUID.
 */
export const meteringStoreName = (clusterId: string) => `cluster-id:${clusterId}`;

export const meteringStoreOf = (env: MeteringStoreBinding, clusterId: string) =>
  env.METERING_STORE.getByName(meteringStoreName(clusterId));

/**
 * The store a cluster's facts went to before stores were keyed by id
 * (`cluster:<name>`). Read only, and only from the current cluster's
 * registration on (see fan-out.ts), so a predecessor's facts left there
 * never count; wiped when the cluster is deleted.
 */
export const legacyMeteringStoreOf = (env: MeteringStoreBinding, clusterName: string) =>
  env.METERING_STORE.getByName(`cluster:${clusterName}`);
