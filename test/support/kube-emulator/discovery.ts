import { RESOURCES } from './resources';

/** Discovery documents, enough for kubectl to find its way. */

const METRICS_GROUP = { group: 'metrics.k8s.io', version: 'v1beta1' };

export function apiVersions(): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] };
}

function groupNames(): string[] {
  return [...new Set(RESOURCES.map((r) => r.group).filter((g) => g !== '')), METRICS_GROUP.group];
}

export function apiGroupList(): unknown {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupNames().map((name) => {
      const version = name === METRICS_GROUP.group ? METRICS_GROUP.version : 'v1';
      const gv = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [gv], preferredVersion: gv };
    }),
  };
}

export function apiResourceList(group: string, version: string): unknown | undefined {
  const groupVersion = group ? `${group}/${version}` : version;
  if (group === METRICS_GROUP.group && version === METRICS_GROUP.version) {
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
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version).map(
    (r) => ({
      name: r.plural,
      singularName: '',
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
    }),
  );
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
