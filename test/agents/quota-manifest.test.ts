import { describe, expect, it } from 'vitest';
import { agentManifestObjects } from '../../protocol/agent-manifest';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
type Obj = { kind: string; metadata: { name: string }; rules?: Rule[]; spec?: unknown };

const objects = agentManifestObjects({
  clusterName: 'prod-1',
  hubUrl: 'https://edge.example.com',
  token: 'x',
}) as unknown as Obj[];
const find = (kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);

describe('the agent manifest grants the quota webhook what it needs and no more', () => {
  it('may create webhook configurations, and read or change only its own', () => {
    const rules = (find('ClusterRole', 'edgetower-agent')?.rules ?? []).filter((r) =>
      r.resources.includes('validatingwebhookconfigurations'),
    );
    expect(rules).toEqual([
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        verbs: ['create'],
      },
      {
        apiGroups: ['admissionregistration.k8s.io'],
        resources: ['validatingwebhookconfigurations'],
        resourceNames: ['edgetower-agent-quotas'],
        verbs: ['get', 'update', 'patch'],
      },
    ]);
  });

  it('keeps the shared CA in one Secret of its own namespace', () => {
    expect(find('Role', 'edgetower-agent-webhook')?.rules).toEqual([
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['edgetower-agent-webhook-ca'],
        verbs: ['get'],
      },
    ]);
    expect(find('RoleBinding', 'edgetower-agent-webhook')).toMatchObject({
      roleRef: { kind: 'Role', name: 'edgetower-agent-webhook' },
      subjects: [{ kind: 'ServiceAccount', name: 'edgetower-agent' }],
    });
  });

  it('serves the webhook on every replica behind one Service', () => {
    expect(find('Service', 'edgetower-agent-webhook')?.spec).toEqual({
      selector: { 'app.kubernetes.io/name': 'edgetower-agent' },
      ports: [{ name: 'webhook', port: 443, targetPort: 'webhook', protocol: 'TCP' }],
    });
    interface PodTemplate {
      template: {
        spec: { containers: { env: { name: string; value?: string }[]; ports: unknown[] }[] };
      };
    }
    const spec = find('Deployment', 'edgetower-agent')?.spec as PodTemplate | undefined;
    const container = spec?.template.spec.containers[0];
    expect(container?.env).toContainEqual({
      name: 'EDGETOWER_WEBHOOK_LISTEN',
      value: '0.0.0.0:9443',
    });
    expect(container?.ports).toContainEqual({
      name: 'webhook',
      containerPort: 9443,
      protocol: 'TCP',
    });
  });
});
