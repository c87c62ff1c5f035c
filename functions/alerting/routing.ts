import type { ReceiverRow } from '../../db/queries/alerts';
import type { Labels } from './labels';
import { compileMatchers } from './matchers';
import type { AlertRoute } from './route';

/** Where an alert sits in the tenancy: its cluster and, for namespaced alerts, the namespace's workspace. */
export interface AlertPlace {
  clusterId?: string;
  workspaceId?: string;
}

/** Whether a receiver's owner may see an alert at `place`: tenants see only their own. */
function ownerSees(owner: string, place: AlertPlace): boolean {
  if (owner === 'platform') return true;
  const [kind, id] = owner.split(':');
  if (kind === 'cluster') return place.clusterId === id;
  if (kind === 'workspace') return place.workspaceId === id;
  return false;
}

export const toRoute = (r: ReceiverRow): AlertRoute => ({
  receiverId: r.id,
  receiverName: r.name,
  owner: r.owner,
  channelIds: r.channelIds,
  groupBy: r.groupBy,
  groupWaitMs: r.groupWaitSeconds * 1000,
  groupIntervalMs: r.groupIntervalSeconds * 1000,
  repeatIntervalMs: r.repeatIntervalSeconds * 1000,
  sendResolved: r.sendResolved,
});

/**
 * Routing over `receivers`, their matchers compiled once (RE2) for a whole
 * intake: the result gives the receivers an alert reaches. A workspace's
 * receivers get only the alerts of namespaces placed in that workspace, a
 * cluster's receivers the alerts of that cluster, platform receivers
 * everything; each narrowed further by its own label matchers.
 */
export function routerFor(
  receivers: ReceiverRow[],
): (labels: Labels, place: AlertPlace) => AlertRoute[] {
  const compiled = receivers
    .filter((r) => r.channelIds.length > 0)
    .map((r) => ({ receiver: r, matches: compileMatchers(r.matchers) }));
  return (labels, place) =>
    compiled
      .filter(({ receiver, matches }) => ownerSees(receiver.owner, place) && matches(labels))
      .map(({ receiver }) => toRoute(receiver));
}
