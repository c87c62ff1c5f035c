import type { Context } from 'hono';
import {
  type ClusterWithLabels,
  grantedClustersWithLabels,
  namespaceHolders,
} from '../../db/queries/apps';
import { createNamespace, placementInCluster } from '../../db/queries/namespaces';
import type { WorkspaceRow } from '../../db/queries/workspaces';
import { isUniqueViolation } from '../../db/unique';
import type { KubeObject } from '../../protocol/delivery';
import { tunnelOf } from '../clusters/tunnel-stub';
import type { AppEnv } from '../env';
import { ApiError } from '../errors';
import { isReservedNamespace } from '../iam/names';
import { placementRefused } from '../iam/namespace-hooks';
import { parseManifests } from './manifests';
import { renderForCluster, selects } from './render';
import type { AppSpec, CreateAppBody } from './schemas';
import { keepRedactedValues } from './secrets';

export interface ValidatedApp {
  spec: AppSpec;
  manifests: KubeObject[];
  clusters: ClusterWithLabels[];
}

/** Unknown and ungranted clusters answer alike (as the namespace routes do): no probing of names. */
const notGranted = (name: string, workspace: string, path: string) =>
  new ApiError(400, `Cluster "${name}" is not granted to workspace "${workspace}".`, {
    code: 'cluster_not_granted',
    fields: [{ path, message: 'not one of the workspace clusters' }],
  });

/**
 * Checks an app's body against the workspace: manifests parse and stay in
 * the namespace, the placement names only granted clusters (a selector
 * picks among those), overrides name only granted clusters and their
 * patches apply in every cluster they select.
 */
export async function validateApp(
  c: Context<AppEnv>,
  workspace: WorkspaceRow,
  body: Omit<CreateAppBody, 'name'>,
  /** The app's stored manifests (a PUT): Secret values sent back redacted keep theirs. */
  stored: unknown[] = [],
): Promise<ValidatedApp> {
  const manifests = await keepRedactedValues(
    c.env.SECRETS_KEY,
    parseManifests(body.manifests, body.namespace),
    stored,
  );
  const granted = await grantedClustersWithLabels(c.get('db'), workspace.id);
  const byName = new Map(granted.map((g) => [g.name, g]));
  const named = (names: string[], path: string) => {
    for (const [i, name] of names.entries())
      if (!byName.has(name)) throw notGranted(name, workspace.name, `${path}[${i}]`);
  };
  if ('clusters' in body.placement) named(body.placement.clusters, 'placement.clusters');
  body.overrides.forEach((o, i) => {
    if (o.clusters) named(o.clusters, `overrides[${i}].clusters`);
  });
  const clusters = granted.filter((cluster) => selects(body.placement, cluster));
  const spec: AppSpec = {
    placement: body.placement,
    nodes: body.nodes,
    overrides: body.overrides,
    ...(body.rollout ? { rollout: body.rollout } : {}),
  };
  // Every cluster's rendering must work now, not fail later in the tunnel.
  for (const cluster of clusters) renderForCluster(manifests, spec, cluster);
  return { spec, manifests, clusters };
}

/**
 * The app's namespace in each target cluster: this workspace's already, or
 * recorded for it now (the agent creates it labelled with the workspace
 * before applying). Another workspace's namespace, by the edge's records or
 * the cluster's labels, is a 409, as is a reserved one.
 */
export async function claimNamespace(
  c: Context<AppEnv>,
  workspace: WorkspaceRow,
  namespace: string,
  clusters: ClusterWithLabels[],
): Promise<void> {
  if (clusters.length === 0) return;
  if (isReservedNamespace(namespace)) throw placementRefused.reserved(namespace);
  const db = c.get('db');
  const missing: ClusterWithLabels[] = [];
  const holders = await namespaceHolders(
    db,
    clusters.map((cl) => cl.id),
    namespace,
  );
  for (const cluster of clusters) {
    const holder = holders.get(cluster.id);
    if (holder !== undefined && holder !== workspace.id)
      throw placementRefused.ownedByOther(namespace);
    if (holder !== undefined) continue;
    const seen = await tunnelOf(c.env, cluster.id).listNamespaces({
      limit: 1,
      only: { workspaces: [], names: [namespace] },
    });
    if (
      seen.items.some(
        (ns) => ns.name === namespace && !!ns.workspace && ns.workspace !== workspace.name,
      )
    )
      throw placementRefused.ownedByOther(namespace);
    missing.push(cluster);
  }
  for (const cluster of missing) {
    try {
      await createNamespace(db, {
        workspaceId: workspace.id,
        clusterId: cluster.id,
        name: namespace,
        createdBy: c.get('principal').username,
      });
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
      const placed = await placementInCluster(db, cluster.id, namespace);
      if (placed?.workspaceId !== workspace.id) throw placementRefused.ownedByOther(namespace);
    }
  }
}
