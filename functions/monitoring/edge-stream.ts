import type { NodeSummary } from '../../protocol/inventory';
import { proxyThroughTunnel, tunnelOf } from '../clusters/tunnel-stub';
import type { Env } from '../env';
import { ApiError } from '../errors';
import type { ProxyCall } from '../tunnel/proxied-streams';
import { readCapped } from './prometheus-call';

/** Pod subresources the API server serves by dialling the node's kubelet. */
const kubeletSubresource =
  /^\/api\/v1\/namespaces\/([a-z0-9-]{1,63})\/pods\/([a-z0-9.-]{1,253})\/(log|exec|attach|portforward)(?:[?/]|$)/;

/**
 * How the API server fails such a call when KubeEdge's stream tunnel is
 * off: the dial to the edge node's kubelet port (edgecore's 10350, or
 * 10250) is refused or times out, or the tunnel answers "could not find
 * the requested resource".
 */
const streamFailure =
  /:(?:10350|10250|10004)\b|connection refused|could not find the requested resource|no route to host|i\/o timeout|tunnel.*(?:closed|not found|no session)/i;
const failingStatuses = new Set([404, 500, 502, 503, 504]);
const MAX_ERROR_BYTES = 64 * 1024;

export const EDGE_STREAM_HELP =
  "KubeEdge's cloudStream/edgeStream is off (or unreachable) for this edge node, so the API server cannot reach its kubelet port. Turn it on: cloudcore.yaml `modules.cloudStream.enable: true` (streamPort 10003, tunnelPort 10004), edgecore.yaml `modules.edgeStream.enable: true` with `server: <cloudcore>:10004`, the stream certificates (certgen.sh stream), and traffic for port 10350 sent to cloudcore's 10003 (iptables-manager, or `iptables -t nat -A OUTPUT -p tcp --dport 10350 -j DNAT --to <cloudcore>:10003` on each API server host); see docs/monitoring.md.";

async function nodeNamed(
  env: Env,
  clusterId: string,
  name: string,
): Promise<NodeSummary | undefined> {
  const last = name.charCodeAt(name.length - 1);
  const page = await tunnelOf(env, clusterId).listNodes({
    edgeOnly: true,
    after: `${name.slice(0, -1)}${String.fromCharCode(last - 1)}~`,
    limit: 1,
  });
  const node = page.items[0];
  return node?.name === name ? node : undefined;
}

/** The pod's node name, read as the same caller (their right to see the pod decides). */
async function podNode(env: Env, clusterId: string, call: ProxyCall, ns: string, pod: string) {
  try {
    const response = await proxyThroughTunnel(
      env,
      clusterId,
      {
        ...call,
        method: 'GET',
        path: `/api/v1/namespaces/${ns}/pods/${pod}`,
        headers: [['accept', 'application/json']],
      },
      null,
    );
    const text = await readCapped(response, 1024 * 1024);
    if (!response.ok || text === undefined) return undefined;
    return (JSON.parse(text) as { spec?: { nodeName?: unknown } }).spec?.nodeName;
  } catch {
    return undefined;
  }
}

/**
 * The cluster's answer to a proxied kube call, unless it is a logs/exec
 * call to a pod on a KubeEdge edge node that failed the way a disabled
 * stream tunnel fails: then a clear 502 `edge_stream_disabled` saying how
 * to turn it on. Anything else passes through untouched (bodies of
 * failures are buffered, at most 64 KiB, to be read).
 */
export async function explainEdgeStream(
  env: Env,
  clusterId: string,
  call: ProxyCall,
  response: Response,
): Promise<Response> {
  const match = kubeletSubresource.exec(call.path);
  if (!match || !failingStatuses.has(response.status)) return response;
  const text = await readCapped(response, MAX_ERROR_BYTES);
  const rebuilt = () =>
    new Response(text ?? '', { status: response.status, headers: response.headers });
  if (text === undefined || !streamFailure.test(text)) return rebuilt();
  const [, ns = '', pod = ''] = match;
  const nodeName = await podNode(env, clusterId, call, ns, pod);
  const node =
    typeof nodeName === 'string' && nodeName
      ? await nodeNamed(env, clusterId, nodeName)
      : undefined;
  if (!node?.edge) return rebuilt();
  throw new ApiError(502, `Pod "${pod}" runs on edge node "${node.name}". ${EDGE_STREAM_HELP}`, {
    code: 'edge_stream_disabled',
  });
}
