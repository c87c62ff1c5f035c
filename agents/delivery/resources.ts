import { groupVersionPath } from '../discovery';
import { type KubeClient, KubeError } from '../kube';

/** Where a kind lives in the API: found by discovery, so custom resources work too. */
export interface ResolvedResource {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  /** Collection path in `namespace` (or cluster-wide without one). */
  collection(namespace?: string): string;
}

/** The kind is not served by this cluster (CRD missing, API removed). */
export class UnknownKindError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`${kind} (${apiVersion}) is not served by this cluster`);
    this.name = 'UnknownKindError';
  }
}

interface ApiResource {
  name?: string;
  kind?: string;
  namespaced?: boolean;
  verbs?: string[];
}

/**
 * kind → resource via the group-version's APIResourceList, cached per
 * group-version. A miss re-reads discovery (a CRD installed meanwhile) at
 * most once per `refreshMs`.
 */
export class ResourceResolver {
  readonly #cache = new Map<string, { at: number; byKind: Map<string, ResolvedResource> }>();

  constructor(
    private readonly client: KubeClient,
    private readonly refreshMs = 10_000,
  ) {}

  async resolve(apiVersion: string, kind: string): Promise<ResolvedResource> {
    let entry = this.#cache.get(apiVersion);
    if (!entry || (!entry.byKind.has(kind) && Date.now() - entry.at > this.refreshMs)) {
      entry = { at: Date.now(), byKind: await this.#read(apiVersion) };
      this.#cache.set(apiVersion, entry);
    }
    const found = entry.byKind.get(kind);
    if (!found) throw new UnknownKindError(apiVersion, kind);
    return found;
  }

  /** Resolves, or undefined when not served (for best-effort scans). */
  async tryResolve(apiVersion: string, kind: string): Promise<ResolvedResource | undefined> {
    try {
      return await this.resolve(apiVersion, kind);
    } catch (error) {
      if (error instanceof UnknownKindError) return undefined;
      throw error;
    }
  }

  async #read(apiVersion: string): Promise<Map<string, ResolvedResource>> {
    const slash = apiVersion.indexOf('/');
    const group = slash === -1 ? '' : apiVersion.slice(0, slash);
    const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    const base = groupVersionPath(group, version);
    const byKind = new Map<string, ResolvedResource>();
    let doc: { resources?: ApiResource[] };
    try {
      doc = (await this.client.getJson(base)) as typeof doc;
    } catch (error) {
      if (error instanceof KubeError && error.status === 404) return byKind;
      throw error;
    }
    for (const r of doc.resources ?? []) {
      if (!r.name || !r.kind || r.name.includes('/')) continue;
      const plural = r.name;
      const namespaced = r.namespaced === true;
      byKind.set(r.kind, {
        apiVersion,
        kind: r.kind,
        plural,
        namespaced,
        collection: (namespace) =>
          namespaced && namespace
            ? `${base}/namespaces/${encodeURIComponent(namespace)}/${plural}`
            : `${base}/${plural}`,
      });
    }
    return byKind;
  }
}
