import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAllYaml } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { AGENT_ENV, AGENT_NODE_FLAGS } from '../../agents/deploy/build';
import { baseFiles, KUSTOMIZATION } from '../../agents/deploy/render';
import {
  agentManifestObjects,
  NAMESPACE_PLACEMENT_GROUP,
  renderAgentManifest,
  toYaml,
} from '../../protocol/agent-manifest';

// Just the Deployment fields the test reads.
interface Container {
  image: string;
  securityContext: unknown;
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  livenessProbe: { httpGet: unknown };
  readinessProbe: { httpGet: unknown };
  env: { name: string; valueFrom?: { secretKeyRef?: unknown } }[];
}
interface DeploymentSpec {
  replicas: number;
  template: { spec: { securityContext: unknown; containers: Container[] } };
}

type Doc = Record<string, unknown> & {
  kind: string;
  metadata: { name: string; namespace?: string };
};

const options = {
  clusterName: 'prod-1',
  hubUrl: 'https://edge.example.com',
  token: 'tok: "quoted"\n# not a comment',
};

function docs(yaml: string): Doc[] {
  return loadAllYaml(yaml) as Doc[];
}

describe('agent manifest', () => {
  it('renders the agent objects as YAML that parses back to the same objects', () => {
    const parsed = docs(renderAgentManifest(options));
    expect(parsed.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      'Namespace/edgetower-system',
      'ServiceAccount/edgetower-agent',
      'ClusterRole/edgetower-agent',
      'ClusterRoleBinding/edgetower-agent',
      'ClusterRole/edgetower-namespace-placement',
      'ClusterRoleBinding/edgetower-namespace-placement',
      'ClusterRole/edgetower-node-metrics',
      'ClusterRoleBinding/edgetower-node-metrics',
      'Role/edgetower-agent-leader-election',
      'RoleBinding/edgetower-agent-leader-election',
      'Role/edgetower-agent-rule-state',
      'RoleBinding/edgetower-agent-rule-state',
      'Secret/edgetower-agent-token',
      'Role/edgetower-agent-webhook',
      'RoleBinding/edgetower-agent-webhook',
      'Service/edgetower-agent-webhook',
      'Deployment/edgetower-agent',
    ]);
    expect(parsed).toEqual(JSON.parse(JSON.stringify(agentManifestObjects(options))));
    // The token survives YAML intact, however odd: no injection into the document.
    expect(parsed.find((d) => d.kind === 'Secret')).toMatchObject({
      stringData: { token: options.token, hub: options.hubUrl, cluster: 'prod-1' },
    });
  });

  it('grants what the agent watches, impersonation, leases and namespace create/delete; nothing like secrets at large', () => {
    const all = docs(renderAgentManifest(options)) as (Doc & {
      rules: {
        apiGroups: string[];
        resources: string[];
        verbs: string[];
        resourceNames?: string[];
      }[];
    })[];
    const clusterRole = all.find(
      (d) => d.kind === 'ClusterRole' && d.metadata.name === 'edgetower-agent',
    );
    const role = all.find(
      (d) => d.metadata.name === 'edgetower-agent-leader-election' && d.kind === 'Role',
    );
    const rules = clusterRole?.rules ?? [];
    const allows = (group: string, resource: string, verb: string) =>
      rules.some(
        (r) =>
          r.apiGroups.includes(group) &&
          r.resources.includes(resource) &&
          r.verbs.includes(verb) &&
          !r.resourceNames,
      );
    for (const [group, resource] of [
      ['', 'pods'],
      ['', 'nodes'],
      ['', 'namespaces'],
      ['', 'events'],
      ['apps', 'deployments'],
      ['apps', 'statefulsets'],
      ['apps', 'daemonsets'],
      ['batch', 'jobs'],
      ['batch', 'cronjobs'],
    ] as const) {
      expect(allows(group, resource, 'list') && allows(group, resource, 'watch')).toBe(true);
    }
    expect(allows('', 'users', 'impersonate') && allows('', 'groups', 'impersonate')).toBe(true);
    expect(allows('', 'namespaces', 'create') && allows('', 'namespaces', 'delete')).toBe(true);
    expect(allows('', 'secrets', 'get')).toBe(false);
    expect(rules.find((r) => r.resources.includes('secrets'))?.resourceNames).toEqual([
      'tokensecret',
    ]);
    expect(rules.some((r) => r.verbs.includes('*') || r.resources.includes('*'))).toBe(false);
    expect(role?.rules).toEqual([
      {
        apiGroups: ['coordination.k8s.io'],
        resources: ['leases'],
        verbs: ['get', 'create', 'update'],
      },
    ]);
  });

  it('binds the namespace-placement group to namespaces get/create/patch/delete and nothing else', () => {
    const all = docs(renderAgentManifest(options)) as (Doc & {
      rules?: unknown;
      roleRef?: unknown;
      subjects?: unknown;
    })[];
    const role = all.find(
      (d) => d.kind === 'ClusterRole' && d.metadata.name === 'edgetower-namespace-placement',
    );
    expect(role?.rules).toEqual([
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'create', 'patch', 'delete'] },
    ]);
    const binding = all.find(
      (d) => d.kind === 'ClusterRoleBinding' && d.metadata.name === 'edgetower-namespace-placement',
    );
    expect(binding?.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'edgetower-namespace-placement',
    });
    expect(binding?.subjects).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: NAMESPACE_PLACEMENT_GROUP },
    ]);
    expect(NAMESPACE_PLACEMENT_GROUP).toBe('edgetower:namespace-placement');
  });

  it('runs two non-root, read-only replicas with probes, limits and the token from the Secret', () => {
    const deployment = docs(
      renderAgentManifest({ ...options, image: 'registry.local/agent:dev' }),
    ).at(-1) as Doc & { spec: DeploymentSpec };
    const spec = deployment.spec;
    expect(spec.replicas).toBe(2);
    const pod = spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    const container = pod.containers[0] as Container;
    expect(container.image).toBe('registry.local/agent:dev');
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.resources.requests).toEqual({ cpu: '50m', memory: '96Mi' });
    expect(container.resources.limits.memory).toBe('384Mi');
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'health' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'health' });
    const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
    expect(env.EDGETOWER_TOKEN?.valueFrom?.secretKeyRef).toEqual({
      name: 'edgetower-agent-token',
      key: 'token',
    });
    expect(JSON.stringify(container)).not.toContain(options.token);
  });

  it('is plain TypeScript the Worker can run (no Node imports)', () => {
    const source = readFileSync(
      join(import.meta.dirname, '../../protocol/agent-manifest.ts'),
      'utf8',
    );
    expect(source).not.toMatch(/from ['"](node:|fs|path|os)/);
    expect([...source.matchAll(/from '([^']+)'/g)].map((m) => m[1])).toEqual(['./agent-version']);
  });

  it('builds an image that runs the bundle with the flags and environment the benchmark measured', () => {
    const dockerfile = readFileSync(
      join(import.meta.dirname, '../../agents/deploy/Dockerfile'),
      'utf8',
    );
    expect(dockerfile).toContain(
      `CMD ${JSON.stringify([...AGENT_NODE_FLAGS, '/app/agent.mjs']).replaceAll(',', ', ')}`,
    );
    for (const [key, value] of Object.entries(AGENT_ENV))
      expect(dockerfile).toContain(`${key}=${value}`);
    expect(dockerfile).toContain('RUN npx tsx agents/deploy/build.ts /out/agent.mjs');
    expect(dockerfile).toMatch(/USER 65532:65532/);
  });

  it('matches the kustomize base in agents/deploy (run agents/deploy/render.ts after changes)', () => {
    const dir = join(import.meta.dirname, '../../agents/deploy');
    for (const [file, objects] of Object.entries(baseFiles())) {
      expect(readFileSync(join(dir, file), 'utf8'), file).toBe(toYaml(objects));
    }
    expect(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')).toBe(KUSTOMIZATION);
  });
});
