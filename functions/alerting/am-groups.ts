import type { AlertView } from './alert-groups';
import { placementKey, type Tenancy } from './alert-scope';
import { type TenantRouting, UNROUTED } from './am-tenant-routing';
import { groupLabelsOf, type Labels } from './labels';
import type { ValueTest } from './matchers';
import { type AlertPlace, routerFor } from './routing';

/** One Alertmanager AlertGroup before its alerts are rendered. */
export interface AlertGroupView {
  labels: Labels;
  receiver: string;
  alerts: AlertView[];
}

function placeOf(labels: Labels, tenancy: Tenancy): AlertPlace {
  const clusterId = labels.cluster ? tenancy.clusterIds.get(labels.cluster) : undefined;
  const placement =
    clusterId && labels.namespace
      ? tenancy.placements.get(placementKey(clusterId, labels.namespace))
      : undefined;
  return { clusterId, workspaceId: placement?.workspaceId };
}

/**
 * Alertmanager's alert groups over the caller's view: each alert in a group
 * per receiver of the caller's routing that takes it (decided by
 * routing.ts, as at intake), keyed by the receiver's group_by labels and
 * the cluster (edgetower's groups never span clusters). Alerts none of
 * those receivers take form the root's groups under `(none)`, as the
 * rendered configuration routes them. `receiver` narrows by receiver name.
 */
export function alertGroupsOf(
  alerts: AlertView[],
  tenancy: Tenancy,
  routing: TenantRouting,
  receiver?: ValueTest,
): AlertGroupView[] {
  const nameOf = new Map(routing.receivers.map((r) => [r.row.id, r.name]));
  const route = routerFor(routing.receivers.map((r) => r.row));
  const groups = new Map<string, AlertGroupView>();
  for (const alert of alerts) {
    const routes = route(alert.labels, placeOf(alert.labels, tenancy));
    const targets = routes.length
      ? routes.map((r) => ({
          name: nameOf.get(r.receiverId) ?? r.receiverName,
          groupBy: r.groupBy,
        }))
      : [{ name: UNROUTED, groupBy: [] }];
    for (const target of targets) {
      if (receiver && !receiver(target.name)) continue;
      const labels = groupLabelsOf(alert.labels, target.groupBy);
      const key = JSON.stringify([target.name, alert.labels.cluster ?? '', labels]);
      const group = groups.get(key) ?? { labels, receiver: target.name, alerts: [] };
      group.alerts.push(alert);
      groups.set(key, group);
    }
  }
  return [...groups.values()].sort(
    (a, b) =>
      a.receiver.localeCompare(b.receiver) ||
      JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)),
  );
}
