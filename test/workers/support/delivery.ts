import { env } from 'cloudflare:workers';
import { createDb } from '../../../db/client';
import { workspaceClusters } from '../../../db/schema';
import type { DeliveryApplyFrame, DeliveryDeleteFrame } from '../../../protocol/delivery';
import { connectAgent, type TestAgent } from './agent-socket';
import { registerCluster } from './cluster-tunnel';
import type { Fixture } from './fixture';

/** Registers cluster `name` with `labels`, grants it to workspace alpha, and returns its join token. */
export async function grantedCluster(
  fx: Fixture,
  name: string,
  labels: Record<string, string> = {},
): Promise<{ id: string; joinToken: string }> {
  const { joinToken } = await registerCluster(fx.as('admin'), name);
  const row = await env.DB.prepare('SELECT id FROM clusters WHERE name = ?')
    .bind(name)
    .first<{ id: string }>();
  const id = row?.id ?? '';
  await env.DB.prepare('UPDATE clusters SET labels = ? WHERE id = ?')
    .bind(JSON.stringify(labels), id)
    .run();
  await createDb(env.DB)
    .insert(workspaceClusters)
    .values({ workspaceId: fx.ids.workspaces.alpha, clusterId: id });
  return { id, joinToken };
}

/** A leader: connects, says what it holds (`delivery-state`), and is the cluster's delivery link. */
export async function leader(
  joinToken: string,
  held: { appId: string; generation: number }[] = [],
  agentId = 'leader',
): Promise<TestAgent> {
  const agent = await connectAgent(joinToken, agentId);
  await agent.send({ type: 'delivery-state', apps: held });
  return agent;
}

export async function nextApply(agent: TestAgent, timeoutMs = 3000): Promise<DeliveryApplyFrame> {
  return agent.nextOf('delivery-apply', timeoutMs);
}

export async function nextDelete(agent: TestAgent, timeoutMs = 3000): Promise<DeliveryDeleteFrame> {
  return agent.nextOf('delivery-delete', timeoutMs);
}

/** Whether the edge sends `type` within `ms` (false when nothing of that type came). */
export async function sends(agent: TestAgent, type: string, ms = 400): Promise<boolean> {
  try {
    await agent.nextOf(type as 'delivery-apply', ms);
    return true;
  } catch {
    return false;
  }
}

export async function appId(name: string): Promise<string> {
  const row = await env.DB.prepare('SELECT id FROM apps WHERE name = ?')
    .bind(name)
    .first<{ id: string }>();
  return row?.id ?? '';
}

export const readyStatus = (id: string, generation: number, state = 'ready', message?: string) => ({
  type: 'delivery-status' as const,
  apps: [
    {
      appId: id,
      generation,
      state: state as 'ready',
      ...(message ? { message } : {}),
      resources: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', ready: state === 'ready' },
      ],
    },
  ],
});
