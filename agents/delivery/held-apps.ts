import { DELIVERY_LABELS, type DeliveryStateFrame } from '../../protocol/delivery';
import type { Logger } from '../log';
import type { AppRecord } from './app-record';
import type { DeliveryApi } from './delivery-api';
import { AGENT_READABLE } from './kinds';
import { deliveredSelector, kindKey } from './objects';

/**
 * The `delivery-state` inventory: every app the cluster holds objects of,
 * read from the cluster by label (the agent keeps no state of its own). An
 * app whose desired state this agent does not have (it restarted) reports
 * generation 0, so the edge sends it again and drift and status resume.
 */
export async function heldApps(
  api: DeliveryApi,
  log: Logger,
  kinds: [string, string][],
  apps: ReadonlyMap<string, AppRecord>,
): Promise<DeliveryStateFrame['apps']> {
  const held = new Map<string, number>();
  for (const [apiVersion, kind] of kinds.filter(([v, k]) => AGENT_READABLE.has(kindKey(v, k)))) {
    const items = await api.list(apiVersion, kind, deliveredSelector).catch((error: unknown) => {
      log.debug('cannot list delivered objects', {
        kind,
        error: error instanceof Error ? error.message : String(error),
      });
      return undefined;
    });
    for (const item of items ?? []) {
      const labels = (item.metadata as { labels?: Record<string, string> }).labels ?? {};
      const appId = labels[DELIVERY_LABELS.appId];
      if (!appId) continue;
      const generation = Number(labels[DELIVERY_LABELS.generation]) || 0;
      held.set(appId, Math.min(held.get(appId) ?? generation, generation));
    }
  }
  const out: DeliveryStateFrame['apps'] = [];
  for (const [appId, generation] of held) {
    const record = apps.get(appId);
    if (record?.phase === 'deleted') continue;
    // Known here: what the cluster carries (all of it, once applied); unknown: 0, send it again.
    const known = record?.app && record.phase === 'applied' ? record.app.generation : generation;
    out.push({ appId, generation: record?.app ? known : 0 });
  }
  for (const record of apps.values())
    if (record.app && record.phase === 'applied' && !held.has(record.appId))
      out.push({ appId: record.appId, generation: record.app.generation });
  return out.slice(0, 10_000);
}
