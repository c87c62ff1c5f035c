import { describe, expect, it } from 'vitest';
import { agentManifestObjects } from '../../functions/clusters/agent-manifest';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

const clusterRole = () =>
  agentManifestObjects({ clusterName: 'c', hubUrl: 'https://edge', token: 't' }).find(
    (o) => o.kind === 'ClusterRole' && (o.metadata as { name: string }).name === 'edgetower-agent',
  ) as { rules: Rule[] };

const rbacRules = () =>
  clusterRole().rules.filter((r) => r.apiGroups.includes('rbac.authorization.k8s.io'));

describe('agent RBAC for role projection (least privilege)', () => {
  it('manages rolebindings and roles, binds only the admin/edit/view ClusterRoles by name', () => {
    const rules = rbacRules();
    const allows = (resource: string, verb: string, name?: string) =>
      rules.some(
        (r) =>
          r.resources.includes(resource) &&
          r.verbs.includes(verb) &&
          (!r.resourceNames || (name !== undefined && r.resourceNames.includes(name))),
      );
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'delete']) {
      expect(allows('rolebindings', verb)).toBe(true);
      expect(allows('roles', verb)).toBe(true);
    }
    for (const name of ['admin', 'edit', 'view'])
      expect(allows('clusterroles', 'bind', name)).toBe(true);
    expect(allows('clusterroles', 'bind', 'cluster-admin')).toBe(false);
    expect(allows('clusterroles', 'escalate', 'admin')).toBe(false);
    expect(allows('clusterrolebindings', 'create')).toBe(false);
    expect(allows('clusterroles', 'create')).toBe(false);
    expect(rules.some((r) => r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
  });
});
