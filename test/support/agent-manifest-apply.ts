import { agentManifestObjects } from '../../protocol/agent-manifest';
import type { KubeEmulator, KubeObject } from './kube-emulator';

/**
 * The manifest kinds a test cluster keeps, by the emulator's plural names:
 * the agent's namespace and its RBAC. The Deployment, Service and Secret
 * are left out: tests run the agent as a process of their own, and the
 * emulator has no controllers to start pods from a Deployment.
 */
const KEPT_KINDS: Record<string, string> = {
  Namespace: 'namespaces',
  ClusterRole: 'clusterroles',
  ClusterRoleBinding: 'clusterrolebindings',
  Role: 'roles',
  RoleBinding: 'rolebindings',
};

/**
 * What `kubectl apply` of the agent manifest (protocol/agent-manifest.ts,
 * the same objects as agents/deploy/) leaves in a real cluster, put into
 * the emulator's store: the `edgetower-system` namespace (it holds the
 * agents' Lease) and the RBAC objects, among them the ClusterRole
 * `edgetower-namespace-placement` bound to the group the edge impersonates
 * to place namespaces. The emulator enforces RBAC on impersonated requests,
 * so without this binding every placement is refused, as in a cluster where
 * the manifest was never applied.
 */
export function applyAgentManifest(kube: KubeEmulator, clusterName = 'e2e'): void {
  const objects = agentManifestObjects({
    clusterName,
    hubUrl: 'http://edge.invalid',
    token: 'unused-the-test-passes-its-own',
  });
  for (const object of objects) {
    const plural = KEPT_KINDS[String(object.kind)];
    if (plural) kube.store.upsert(plural, structuredClone(object) as unknown as KubeObject);
  }
}
