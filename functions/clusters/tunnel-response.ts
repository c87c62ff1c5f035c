import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../errors';
import { TUNNEL_ERROR_HEADER } from '../tunnel/proxied-streams';

/**
 * Responses the tunnel made itself (no agent, timeout, agent gone) become
 * the app's error shape; everything else is the cluster's own answer.
 */
export async function fromTunnel(response: Response): Promise<Response> {
  const code = response.headers.get(TUNNEL_ERROR_HEADER);
  // Re-wrapped so middleware may still set headers (the DO's are immutable).
  if (!code) return new Response(response.body, response);
  const body = (await response.json().catch(() => ({}))) as { message?: unknown };
  const message = typeof body.message === 'string' ? body.message : 'The cluster is unreachable.';
  throw new ApiError(response.status as ContentfulStatusCode, message, { code });
}
