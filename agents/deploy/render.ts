import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentManifestObjects, toYaml } from '../../protocol/agent-manifest';

/**
 * Writes the kustomize base from the same objects the edge renders, so the
 * two never drift (test/agents/agent-manifest.test.ts checks it):
 *   npx tsx agents/deploy/render.ts
 */

/** Placeholders an overlay replaces (or `kubectl create secret` overrides). */
export const BASE_PLACEHOLDERS = {
  clusterName: 'my-cluster',
  hubUrl: 'https://edge.example.com',
  token: 'REPLACE-WITH-THE-JOIN-TOKEN',
};

type Obj = Record<string, unknown> & { kind?: unknown };

/** File name -> the objects it holds, in apply order. */
export function baseFiles(): Record<string, Obj[]> {
  const objects = agentManifestObjects(BASE_PLACEHOLDERS) as Obj[];
  const of = (...kinds: string[]) => objects.filter((o) => kinds.includes(String(o.kind)));
  return {
    'namespace.yaml': of('Namespace'),
    'rbac.yaml': of('ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'),
    'secret.yaml': of('Secret'),
    'deployment.yaml': of('Service', 'Deployment'),
  };
}

export const KUSTOMIZATION = `# edgetower agent: kustomize base. Put the join token in an overlay, e.g.
#   secretGenerator: [{name: edgetower-agent-token, behavior: replace,
#                      literals: [hub=https://<edge>, token=<join token>, cluster=<name>]}]
# and pin the image with \`images:\`.
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - namespace.yaml
  - rbac.yaml
  - secret.yaml
  - deployment.yaml
`;

if (process.argv[1]?.endsWith('render.ts')) {
  const dir = import.meta.dirname;
  for (const [file, objects] of Object.entries(baseFiles()))
    writeFileSync(join(dir, file), toYaml(objects));
  writeFileSync(join(dir, 'kustomization.yaml'), KUSTOMIZATION);
}
