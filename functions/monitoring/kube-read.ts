import type { Principal } from '../../db/principal';
import { NODE_METRICS_GROUP } from '../../protocol/agent-manifest';
import { proxyThroughTunnel } from '../clusters/tunnel-stub';
import type { Env } from '../env';
import { ApiError } from '../errors';
import { readCapped } from './prometheus-call';

const MAX_BYTES = 8 * 1024 * 1024;

export type KubeRead<T> =
  | { ok: true; body: T }
  | { ok: false; status: number; code: string; message: string };

/**
 * GET of a fixed node path on the cluster's API server, as the caller with
 * the node-metrics group only (its ClusterRole: nodes and metrics.k8s.io
 * nodes, get and list). The edge checked that the caller may list nodes.
 */
export async function kubeRead<T>(
  env: Env,
  clusterId: string,
  principal: Principal,
  path: string,
): Promise<KubeRead<T>> {
  let response: Response;
  try {
    response = await proxyThroughTunnel(
      env,
      clusterId,
      {
        target: 'kube',
        method: 'GET',
        path,
        headers: [['accept', 'application/json']],
        impersonate: { user: principal.username, groups: [NODE_METRICS_GROUP] },
      },
      null,
    );
  } catch (error) {
    if (error instanceof ApiError)
      return { ok: false, status: error.status, code: error.code, message: error.message };
    throw error;
  }
  const text = await readCapped(response, MAX_BYTES);
  if (text === undefined)
    return { ok: false, status: 502, code: 'too_large', message: 'The answer exceeds 8 MiB.' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (response.ok && body !== undefined) return { ok: true, body: body as T };
  const message =
    typeof (body as { message?: unknown } | undefined)?.message === 'string'
      ? (body as { message: string }).message
      : `status ${response.status}`;
  return { ok: false, status: response.status, code: 'kube_error', message: message.slice(0, 512) };
}
