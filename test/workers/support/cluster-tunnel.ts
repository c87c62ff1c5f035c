import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { api } from './fixture';

/**
 * Registers cluster `name` through the API as `headers` and returns its
 * join token and the stub of its ClusterTunnel (keyed by the cluster's id),
 * for tests that drive the tunnel's alarm or storage directly.
 */
export async function registerCluster(
  headers: Record<string, string>,
  name: string,
): Promise<{ joinToken: string; stub: DurableObjectStub }> {
  const res = await api('POST', '/api/v1/clusters', headers, { name });
  expect(res.status).toBe(201);
  const row = await env.DB.prepare('SELECT id FROM clusters WHERE name = ?')
    .bind(name)
    .first<{ id: string }>();
  return {
    joinToken: (res.body as { joinToken: string }).joinToken,
    stub: env.CLUSTER_TUNNEL.get(env.CLUSTER_TUNNEL.idFromName(row?.id ?? '')),
  };
}
