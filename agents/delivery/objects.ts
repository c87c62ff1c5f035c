import { DELIVERY_LABELS, type DeliveryApp, type KubeObject } from '../../protocol/delivery';

/** One delivered object's identity in the cluster. */
export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
}

/** `group/Kind` without the version: the same object whatever version it is read at. */
export const kindKey = (apiVersion: string, kind: string): string => {
  const slash = apiVersion.lastIndexOf('/');
  return `${slash === -1 ? '' : apiVersion.slice(0, slash)}/${kind}`;
};

export const refKey = (ref: ObjectRef): string =>
  `${kindKey(ref.apiVersion, ref.kind)}/${ref.namespace}/${ref.name}`;

export const refOf = (obj: KubeObject, namespace: string): ObjectRef => ({
  apiVersion: obj.apiVersion,
  kind: obj.kind,
  namespace,
  name: obj.metadata.name,
});

/** Label selector of every object of one app. */
export const appSelector = (appId: string): string => `${DELIVERY_LABELS.appId}=${appId}`;
/** Label selector of every delivered object (any app). */
export const deliveredSelector = `${DELIVERY_LABELS.managedBy}=edgetower,${DELIVERY_LABELS.appId}`;

/**
 * The object as edgetower applies it: in the app's namespace, with the
 * delivery labels. Nothing else is added, so server-side apply owns exactly
 * the manifest's fields (an HPA's replicas stay the HPA's when omitted).
 */
export function labelled(obj: KubeObject, app: DeliveryApp): KubeObject {
  // Fields the API server owns would be preconditions or refusals in an apply: dropped.
  const {
    resourceVersion: _rv,
    uid: _uid,
    creationTimestamp: _created,
    managedFields: _managed,
    generation: _generation,
    selfLink: _self,
    deletionTimestamp: _deleting,
    ...metadata
  } = obj.metadata as KubeObject['metadata'] & { labels?: Record<string, string> };
  const { status: _status, ...rest } = obj;
  return {
    ...rest,
    apiVersion: obj.apiVersion,
    kind: obj.kind,
    metadata: {
      ...metadata,
      name: obj.metadata.name,
      namespace: app.namespace,
      labels: {
        ...(metadata.labels ?? {}),
        [DELIVERY_LABELS.managedBy]: 'edgetower',
        [DELIVERY_LABELS.appName]: app.name,
        [DELIVERY_LABELS.appId]: app.appId,
        [DELIVERY_LABELS.generation]: String(app.generation),
        [DELIVERY_LABELS.workspace]: app.workspace,
      },
    },
  };
}

/** Kinds applied before the rest: what workloads mount, run as or are bound with. */
const FIRST = new Set([
  '/ConfigMap',
  '/Secret',
  '/ServiceAccount',
  'rbac.authorization.k8s.io/Role',
  'rbac.authorization.k8s.io/RoleBinding',
]);

/** Apply order (stable within a rank): ConfigMaps/Secrets/ServiceAccounts/RBAC, then the rest. */
export function applyOrder(manifests: readonly KubeObject[]): KubeObject[] {
  const rank = (o: KubeObject) => (FIRST.has(kindKey(o.apiVersion, o.kind)) ? 0 : 1);
  return manifests
    .map((obj, index) => ({ obj, index }))
    .sort((a, b) => rank(a.obj) - rank(b.obj) || a.index - b.index)
    .map(({ obj }) => obj);
}
