import { createRoute } from '@hono/zod-openapi';
import { clusterByJoinTokenHash } from '../../db/queries/clusters';
import { sha256Hex } from '../../lib/crypto/hash';
import { tunnelOf } from '../clusters/tunnel-stub';
import { ApiError, unauthorized } from '../errors';
import { createRouter } from '../openapi';
import { CONNECT_PATH, TUNNEL_ORIGIN } from './cluster-tunnel';

const bearer = /^Bearer\s+(\S+)$/i;

/**
 * `GET /agent/v1/connect`: the agents' WebSocket. The join token is checked
 * here against D1 (by SHA-256), so unauthenticated sockets never reach a
 * Durable Object; the tunnel then checks it is still the current token.
 */
const router = createRouter();

router.openAPIRegistry.registerPath(
  createRoute({
    method: 'get',
    path: '/agent/v1/connect',
    tags: ['agents'],
    summary: "The cluster agents' WebSocket (see docs/tunnel-protocol.md)",
    description:
      'Upgrade: websocket, Authorization: Bearer <join token>. 401 for unknown or rotated tokens.',
    responses: {
      101: { description: 'Switching to the tunnel protocol.' },
      401: { description: 'Unknown or rotated join token.' },
      426: { description: 'Not a WebSocket upgrade.' },
    },
  }),
);

export const agentConnectRoutes = router.get('/agent/v1/connect', async (c) => {
  const token = bearer.exec(c.req.header('authorization') ?? '')?.[1];
  if (!token) throw unauthorized('Agents authenticate with Authorization: Bearer <join token>.');
  const tokenHash = await sha256Hex(token);
  const cluster = await clusterByJoinTokenHash(c.get('db'), tokenHash);
  if (!cluster) throw unauthorized('Unknown or rotated join token.');
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new ApiError(426, 'This endpoint only accepts WebSocket upgrades.', {
      code: 'upgrade_required',
      headers: { Upgrade: 'websocket' },
    });
  // Only what the tunnel needs: nothing the agent sent (x-edgetower-* included) passes.
  const headers = new Headers({
    upgrade: 'websocket',
    'x-edgetower-token-hash': tokenHash,
    'x-edgetower-cluster': cluster.name,
  });
  const upgraded = await tunnelOf(c.env, cluster.id).fetch(`${TUNNEL_ORIGIN}${CONNECT_PATH}`, {
    headers,
  });
  if (upgraded.status !== 101) throw unauthorized('Join token no longer valid.');
  // A fresh response: the DO's has immutable headers, and middleware adds some.
  return new Response(null, { status: 101, webSocket: upgraded.webSocket });
});
