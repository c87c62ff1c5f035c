import { METRICS_GROUP, ServingModel } from './serving';

/** Discovery documents, enough for kubectl (and the agent) to find their way. */

const METRICS_VERSION = 'v1beta1';
const DEFAULT_SERVING = new ServingModel();

export function apiVersions(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

/** The groups this cluster serves, each with its served versions, preferred first. */
export function apiGroupList(serving: ServingModel = DEFAULT_SERVING): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...serving.groupVersions()].map(([name, versions]) => {
      const gvs = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: gvs, preferredVersion: gvs[0] };
    }),
  };
}

export function apiResourceList(
  group: string,
  version: string,
  serving: ServingModel = DEFAULT_SERVING,
): unknown | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  if (group === METRICS_GROUP) {
    if (version !== METRICS_VERSION || !serving.metricsServed()) return undefined;
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion,
      resources: [
        {
          name: 'pods',
          singularName: '',
          namespaced: true,
          kind: 'PodMetrics',
          verbs: ['get', 'list'],
        },
        {
          name: 'nodes',
          singularName: '',
          namespaced: false,
          kind: 'NodeMetrics',
          verbs: ['get', 'list'],
        },
      ],
    };
  }
  const resources = serving.resourcesAt(group, version).map((r) => ({
    name: r.plural,
    singularName: '',
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: r.verbs,
  }));
  if (resources.length === 0) return undefined;
  if (!group)
    resources.push({
      name: 'pods/log',
      singularName: '',
      namespaced: true,
      kind: 'Pod',
      verbs: ['get'],
    });
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
}
