import {
  DELIVERY_FIELD_MANAGER,
  DELIVERY_LABELS,
  type DeliveryIdentity,
  type KubeObject,
} from '../../protocol/delivery';
import { type KubeClient, kubeErrorFrom } from '../kube';
import type { ObjectRef } from './objects';
import type { ResourceResolver } from './resources';

/** What a write came to. `refused`: the API server said no for good (403, 422 …): report, do not retry. */
export type WriteResult =
  | { ok: true; created?: boolean }
  | { ok: false; refused: true; status: number; message: string }
  | { ok: false; refused: false; status: number; message: string };

/** The cluster calls delivery makes; the kube implementation is below, tests may bring their own. */
/**
 * The only group namespace writes carry (with the editor's user name): the
 * agent's manifest binds it to namespaces get/create/patch/delete and
 * nothing else (functions/clusters/agent-manifest.ts, docs/clusters.md).
 */
export const NAMESPACE_PLACEMENT_GROUP = 'edgetower:namespace-placement';

export interface DeliveryApi {
  /**
   * Makes sure the app's namespace exists and belongs to `workspace`:
   * creates a missing one labelled `kubesphere.io/workspace=<workspace>` as
   * the editor with the single group `edgetower:namespace-placement`;
   * refuses one labelled for another workspace or for none (never taken over).
   */
  ensureNamespace(
    namespace: string,
    workspace: string,
    identity: DeliveryIdentity,
  ): Promise<WriteResult>;
  /** Server-side apply (field manager edgetower, force) as `identity`. */
  apply(obj: KubeObject, identity: DeliveryIdentity): Promise<WriteResult>;
  /** Deletes with background propagation as `identity`; a missing object is fine. */
  remove(ref: ObjectRef, identity: DeliveryIdentity): Promise<WriteResult>;
  /**
   * Objects of a kind matching `selector`, with the agent's own credentials
   * or as `identity`; undefined when not served. Throws KubeError when refused.
   */
  list(
    apiVersion: string,
    kind: string,
    selector: string,
    namespace?: string,
    identity?: DeliveryIdentity,
  ): Promise<KubeObject[] | undefined>;
}

const impersonation = (identity: DeliveryIdentity): Record<string, string | string[]> => ({
  'impersonate-user': identity.user,
  ...(identity.groups.length ? { 'impersonate-group': identity.groups } : {}),
});

/** The same client, every request made as `identity` (watches of kinds the agent may not read). */
export function impersonating(client: KubeClient, identity: DeliveryIdentity): KubeClient {
  const request: KubeClient['request'] = (req) =>
    client.request({ ...req, headers: { ...req.headers, ...impersonation(identity) } });
  return {
    server: client.server,
    request,
    async getJson(path, query, signal) {
      const res = await request({ path, query, signal });
      if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `GET ${path}`);
      return res.json();
    },
    close: () => {},
  };
}

/** 5xx, 429 and conflicts on our own writes pass; anything else the cluster decided. */
const transient = (status: number) => status >= 500 || status === 429 || status === 409;

async function outcome(
  res: Awaited<ReturnType<KubeClient['request']>>,
  what: string,
): Promise<WriteResult> {
  if (res.status >= 200 && res.status < 300) {
    await res.text().catch(() => '');
    return { ok: true };
  }
  const error = await kubeErrorFrom(res, what);
  return { ok: false, refused: !transient(res.status), status: res.status, message: error.message };
}

export function kubeDeliveryApi(client: KubeClient, resources: ResourceResolver): DeliveryApi {
  return {
    async ensureNamespace(namespace, workspace, identity) {
      const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}`;
      const owner = async (): Promise<string | undefined | null> => {
        const res = await client.request({ path });
        if (res.status === 404) {
          await res.text().catch(() => '');
          return null;
        }
        if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `get ${path}`);
        const ns = (await res.json()) as { metadata?: { labels?: Record<string, string> } };
        return ns.metadata?.labels?.[DELIVERY_LABELS.workspace];
      };
      const judge = (label: string | undefined): WriteResult =>
        label === workspace
          ? { ok: true }
          : {
              ok: false,
              refused: true,
              status: 409,
              message: label
                ? `namespace ${namespace} belongs to workspace ${label}`
                : `namespace ${namespace} exists without a workspace label; a cluster admin places it (POST /namespaces)`,
            };
      const found = await owner();
      if (found !== null) return judge(found);
      // Missing: create it as the editor, with the namespace-placement group only (least privilege).
      const res = await client.request({
        method: 'POST',
        path: '/api/v1/namespaces',
        headers: {
          'content-type': 'application/json',
          ...impersonation({ user: identity.user, groups: [NAMESPACE_PLACEMENT_GROUP] }),
        },
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: namespace, labels: { [DELIVERY_LABELS.workspace]: workspace } },
        }),
      });
      if (res.status === 409) {
        // Created meanwhile by someone else: judge what is there now, never adopt blindly.
        await res.text().catch(() => '');
        const now = await owner();
        return now !== null
          ? judge(now)
          : {
              ok: false,
              refused: false,
              status: 409,
              message: `namespace ${namespace} changed meanwhile`,
            };
      }
      const created = await outcome(res, `create namespace ${namespace}`);
      return created.ok ? { ok: true, created: true } : created;
    },
    async apply(obj, identity) {
      const resource = await resources.resolve(obj.apiVersion, obj.kind);
      const namespace = (obj.metadata as { namespace?: string }).namespace;
      const res = await client.request({
        method: 'PATCH',
        path: `${resource.collection(namespace)}/${encodeURIComponent(obj.metadata.name)}`,
        query: { fieldManager: DELIVERY_FIELD_MANAGER, force: true },
        headers: { 'content-type': 'application/apply-patch+yaml', ...impersonation(identity) },
        // JSON is YAML: no serializer needed, and nothing is lost in translation.
        body: JSON.stringify(obj),
      });
      return outcome(res, `apply ${obj.kind} ${obj.metadata.name}`);
    },
    async remove(ref, identity) {
      const resource = await resources.resolve(ref.apiVersion, ref.kind);
      const res = await client.request({
        method: 'DELETE',
        path: `${resource.collection(ref.namespace)}/${encodeURIComponent(ref.name)}`,
        headers: impersonation(identity),
        body: JSON.stringify({
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          propagationPolicy: 'Background',
        }),
      });
      if (res.status === 404) {
        await res.text().catch(() => '');
        return { ok: true };
      }
      return outcome(res, `delete ${ref.kind} ${ref.name}`);
    },
    async list(apiVersion, kind, selector, namespace, identity) {
      const resource = await resources.tryResolve(apiVersion, kind);
      if (!resource) return undefined;
      const items: KubeObject[] = [];
      let cont: string | undefined;
      do {
        const path = resource.collection(namespace);
        const res = await client.request({
          path,
          query: { labelSelector: selector, limit: 500, continue: cont },
          ...(identity ? { headers: impersonation(identity) } : {}),
        });
        if (res.status < 200 || res.status >= 300) throw await kubeErrorFrom(res, `list ${path}`);
        const page = (await res.json()) as {
          items?: KubeObject[];
          metadata?: { continue?: string };
        };
        for (const item of page.items ?? [])
          items.push({ ...item, apiVersion, kind } as KubeObject);
        cont = page.metadata?.continue || undefined;
      } while (cont);
      return items;
    },
  };
}
