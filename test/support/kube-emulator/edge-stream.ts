import { EDGE_NODE_LABEL } from '../../../protocol/inventory';
import { type KubeStatus, kubeStatus } from './status';
import type { KubeStore } from './store';

/**
 * KubeEdge without cloudStream/edgeStream: the API server dials the edge
 * node's kubelet port (10350, edgecore's) for logs/exec, nothing listens
 * there, and `kubectl logs` gets the API server's 500 with the dial error.
 * Undefined when the pod is not on an edge node (or does not exist).
 */
export function edgeStreamRefusal(
  store: KubeStore,
  namespace: string,
  pod: string,
  container: string | null,
): KubeStatus | undefined {
  const object = store.get('pods', namespace, pod);
  const nodeName = (object?.spec as { nodeName?: string } | undefined)?.nodeName;
  const node = nodeName ? store.get('nodes', undefined, nodeName) : undefined;
  if (!node || node.metadata.labels?.[EDGE_NODE_LABEL] === undefined) return undefined;
  const addresses =
    (node.status as { addresses?: { type: string; address: string }[] } | undefined)?.addresses ??
    [];
  const ip = addresses.find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  const first = (object?.spec as { containers?: { name: string }[] } | undefined)?.containers?.[0];
  const target = `https://${ip}:10350/containerLogs/${namespace}/${pod}/${container ?? first?.name ?? 'main'}`;
  return kubeStatus(
    500,
    'InternalError',
    `Get "${target}": dial tcp ${ip}:10350: connect: connection refused`,
  );
}
