import type { Env } from '../env';
import { PROXY_CALL_HEADER, PROXY_PATH, TUNNEL_ORIGIN } from '../tunnel/cluster-tunnel';
import type { ProxyCall } from '../tunnel/proxied-streams';
import { fromTunnel } from './tunnel-response';

/** The ClusterTunnel Durable Object of a cluster, addressed by the cluster's immutable id. */
export function tunnelOf(env: Env, clusterId: string) {
  return env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(clusterId));
}

/**
 * Sends a request into the cluster through its tunnel and returns the
 * cluster's streaming response; tunnel failures throw as API errors.
 */
export async function proxyThroughTunnel(
  env: Env,
  clusterId: string,
  call: ProxyCall,
  body: ReadableStream<Uint8Array> | null,
): Promise<Response> {
  const response = await tunnelOf(env, clusterId).fetch(`${TUNNEL_ORIGIN}${PROXY_PATH}`, {
    method: 'POST',
    headers: { [PROXY_CALL_HEADER]: JSON.stringify(call) },
    body,
  });
  return fromTunnel(response);
}
