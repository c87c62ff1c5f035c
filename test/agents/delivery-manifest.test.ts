import { readFileSync } from 'node:fs';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { AGENT_READABLE_KINDS } from '../../agents/delivery';
import { agentManifestObjects } from '../../protocol/agent-manifest';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const PLURALS: Record<string, string> = {
  ConfigMap: 'configmaps',
  Service: 'services',
  ServiceAccount: 'serviceaccounts',
  PersistentVolumeClaim: 'persistentvolumeclaims',
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  HorizontalPodAutoscaler: 'horizontalpodautoscalers',
  Ingress: 'ingresses',
  PodDisruptionBudget: 'poddisruptionbudgets',
  Role: 'roles',
  RoleBinding: 'rolebindings',
};

const generated = () =>
  (
    agentManifestObjects({ clusterName: 'c', hubUrl: 'https://edge', token: 't' }).find(
      (o) =>
        o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === 'edgetower-agent',
    ) as { rules: Rule[] }
  ).rules;

const shipped = () => {
  const text = readFileSync(new URL('../../agents/deploy/rbac.yaml', import.meta.url), 'utf8');
  const docs = loadAllYaml(text) as { kind: string; metadata: { name: string }; rules?: Rule[] }[];
  return (
    docs.find((d) => d.kind === 'ClusterRole' && d.metadata.name === 'edgetower-agent')?.rules ?? []
  );
};

describe('agent RBAC for delivery', () => {
  for (const [source, rules] of [
    ['agent manifest', generated],
    ['agents/deploy/rbac.yaml', shipped],
  ] as const) {
    it(`${source}: lists and watches every kind delivery watches cluster-wide, and no Secrets`, () => {
      const all = rules();
      const allows = (group: string, resource: string, verb: string) =>
        all.some(
          (r) =>
            r.apiGroups.includes(group) &&
            r.resources.includes(resource) &&
            r.verbs.includes(verb) &&
            !r.resourceNames,
        );
      for (const [apiVersion, kind] of AGENT_READABLE_KINDS) {
        const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] ?? '') : '';
        const plural = PLURALS[kind] ?? '';
        expect(allows(group, plural, 'list') && allows(group, plural, 'watch'), `${kind}`).toBe(
          true,
        );
      }
      // Writes happen as the app's editor (impersonation), never as the agent.
      for (const [, kind] of AGENT_READABLE_KINDS.filter(([v]) => !v.startsWith('rbac')))
        expect(
          all.some((r) => r.resources.includes(PLURALS[kind] ?? '') && r.verbs.includes('patch')),
        ).toBe(false);
      expect(allows('', 'secrets', 'list') || allows('', 'secrets', 'get')).toBe(false);
    });
  }
});
