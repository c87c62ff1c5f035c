import {
  DELIVERY_FIELD_MANAGER,
  type DeliveryIdentity,
  type KubeObject,
} from '../../protocol/delivery';
import { type KubeClient, kubeErrorFrom } from '../kube';
import type { ObjectRef } from './objects';
import type { ResourceResolver } from './resources';

/** What a write came to. `refused`: the API server said no for good (403, 422 …): report, do not retry. */
export type WriteResult =
  | { ok: true }
  | { ok: false; refused: true; status: number; message: string }
  | { ok: false; refused: false; status: number; message: string };

/** The cluster calls delivery makes; the kube implementation is below, tests may bring their own. */
export interface DeliveryApi {
  namespaceExists(namespace: string): Promise<boolean>;
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
    async namespaceExists(namespace) {
      const res = await client.request({
        path: `/api/v1/namespaces/${encodeURIComponent(namespace)}`,
      });
      await res.text().catch(() => '');
      if (res.status === 404) return false;
      if (res.status >= 200 && res.status < 300) return true;
      throw new Error(`get namespace ${namespace}: HTTP ${res.status}`);
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
