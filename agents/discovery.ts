import { type KubeClient, KubeError } from './kube';

/**
 * Which group-version to read a resource at, decided by the cluster's
 * discovery: CronJobs are batch/v1 from Kubernetes 1.21 and batch/v1beta1
 * before (1.19 and 1.20 serve only that; 1.25 removed it). A resource with
 * one candidate version needs no discovery round trip at all.
 */
export interface ResourceRef {
  /** kubectl's name, as reported when degraded: "cronjobs.batch", "pods". */
  resource: string;
  /** "" for the core group. */
  group: string;
  plural: string;
  /** Candidate versions, preferred first. */
  versions: readonly string[];
}

/** The cluster serves none of the candidate group-versions of a resource. */
export class NotServedError extends Error {
  constructor(readonly ref: ResourceRef) {
    const tried = ref.versions.map((v) => (ref.group ? `${ref.group}/${v}` : v)).join(', ');
    super(`not served by this cluster (tried ${tried})`);
    this.name = 'NotServedError';
  }
}

export function groupVersionPath(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/** Does group/version serve `plural`? A 404 for the group-version means no. */
async function serves(
  client: KubeClient,
  ref: ResourceRef,
  version: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    const doc = (await client.getJson(groupVersionPath(ref.group, version), undefined, signal)) as {
      resources?: { name?: unknown }[];
    };
    return (doc.resources ?? []).some((r) => r.name === ref.plural);
  } catch (err) {
    if (err instanceof KubeError && err.status === 404) return false;
    throw err;
  }
}

/** The collection path to list and watch `ref` at; throws NotServedError when nothing fits. */
export async function collectionPath(
  client: KubeClient,
  ref: ResourceRef,
  signal?: AbortSignal,
): Promise<string> {
  const [only] = ref.versions;
  if (ref.versions.length === 1 && only)
    return `${groupVersionPath(ref.group, only)}/${ref.plural}`;
  for (const version of ref.versions) {
    if (await serves(client, ref, version, signal))
      return `${groupVersionPath(ref.group, version)}/${ref.plural}`;
  }
  throw new NotServedError(ref);
}

/** What the agent reads, with the versions it can read them at (1.19 – 1.32). */
export const RESOURCES = {
  nodes: { resource: 'nodes', group: '', plural: 'nodes', versions: ['v1'] },
  namespaces: { resource: 'namespaces', group: '', plural: 'namespaces', versions: ['v1'] },
  pods: { resource: 'pods', group: '', plural: 'pods', versions: ['v1'] },
  events: { resource: 'events', group: '', plural: 'events', versions: ['v1'] },
  persistentvolumeclaims: {
    resource: 'persistentvolumeclaims',
    group: '',
    plural: 'persistentvolumeclaims',
    versions: ['v1'],
  },
  deployments: {
    resource: 'deployments.apps',
    group: 'apps',
    plural: 'deployments',
    versions: ['v1'],
  },
  statefulsets: {
    resource: 'statefulsets.apps',
    group: 'apps',
    plural: 'statefulsets',
    versions: ['v1'],
  },
  daemonsets: {
    resource: 'daemonsets.apps',
    group: 'apps',
    plural: 'daemonsets',
    versions: ['v1'],
  },
  replicasets: {
    resource: 'replicasets.apps',
    group: 'apps',
    plural: 'replicasets',
    versions: ['v1'],
  },
  jobs: { resource: 'jobs.batch', group: 'batch', plural: 'jobs', versions: ['v1'] },
  cronjobs: {
    resource: 'cronjobs.batch',
    group: 'batch',
    plural: 'cronjobs',
    versions: ['v1', 'v1beta1'],
  },
} as const satisfies Record<string, ResourceRef>;

/** Why a read failed, as reported; `definitive` when retrying soon cannot help (403, 404 …). */
export function readFailure(err: unknown): { reason: string; definitive: boolean } {
  if (err instanceof NotServedError) return { reason: err.message, definitive: true };
  if (err instanceof KubeError) {
    const definitive = [401, 403, 404, 405].includes(err.status);
    const kind =
      err.status === 403
        ? 'forbidden'
        : err.status === 401
          ? 'unauthorized'
          : err.status === 404
            ? 'not served'
            : `HTTP ${err.status}`;
    return { reason: `${kind}: ${err.message}`, definitive };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { reason: `unreachable: ${message}`, definitive: false };
}
