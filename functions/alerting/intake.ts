import type { Database } from '../../db/client';
import { allClusters, allReceivers, type ReceiverRow, tenancyOf } from '../../db/queries/alerts';
import type { Principal } from '../auth/principal';
import type { Env } from '../env';
import { forbidden } from '../errors';
import { can } from '../iam/authorize';
import { placementKey, scopeOfLabels, type Tenancy } from './alert-scope';
import { externalUrl } from './external-url';
import type { IncomingAlert } from './intake-schema';
import type { RoutedAlert } from './route';
import { routesFor } from './routing';
import { GLOBAL_SHARD, shardOf, shardStub } from './shards';

/**
 * The cluster an alert without a `cluster` label comes from: the one
 * cluster the token's owner holds a role in (a cluster's Prometheus posts
 * with a token of that cluster's admin or service user).
 */
async function defaultCluster(db: Database, principal: Principal): Promise<string | undefined> {
  const ids = new Set(
    principal.bindings.filter((b) => b.scopeType === 'cluster').map((b) => b.scopeId),
  );
  if (ids.size !== 1) return undefined;
  const [id] = ids;
  return (await allClusters(db)).find((c) => c.id === id)?.name;
}

/**
 * Accepts alerts from Prometheus / Alertmanager: labels the cluster when
 * missing, checks the caller may create alerts where each one belongs,
 * resolves each alert's receivers and hands them to their cluster's shard.
 * The receivers are read beside the tenancy lookup (one D1 round trip of
 * latency for both), not after it.
 */
export async function ingestAlerts(
  env: Env,
  db: Database,
  principal: Principal,
  alerts: IncomingAlert[],
  now: number,
  /** The edge's URL the alerts came in on (webhook payloads' externalURL). */
  externalURL?: string,
): Promise<number> {
  const receiving = allReceivers(db);
  // Read whether or not the caller may post; a refusal must not leave it unhandled.
  receiving.catch(() => undefined);
  const cluster = alerts.some((a) => !a.labels.cluster)
    ? await defaultCluster(db, principal)
    : undefined;
  if (cluster) for (const a of alerts) a.labels.cluster ??= cluster;
  const tenancy = await tenancyOf(
    db,
    alerts.map((a) => a.labels),
  );
  for (const alert of alerts) {
    if (!can(principal, 'create', 'alerts', scopeOfLabels(alert.labels, tenancy)))
      throw forbidden(
        `You may not post alerts for cluster "${alert.labels.cluster ?? '(none)'}"${alert.labels.namespace ? ` namespace "${alert.labels.namespace}"` : ''}.`,
      );
  }
  await routeAndStore(env, db, alerts, now, {
    tenancy,
    receivers: await receiving,
    externalURL,
  });
  return alerts.length;
}

export interface RouteOptions {
  /** Already resolved from the alerts' labels. */
  tenancy?: Tenancy;
  /** Already read. */
  receivers?: ReceiverRow[];
  /**
   * Edge rules pin their cluster's shard: a resolve sent while the cluster
   * is being deleted (no longer in D1) must reach the shard that holds the
   * firing alert.
   */
  shard?: string;
  /** The edge's URL the alerts came in on; PUBLIC_URL, when set, wins. */
  externalURL?: string | undefined;
}

/**
 * Resolves each alert's receivers (tenancy from its cluster and namespace
 * labels) and hands the alerts to their cluster's shard. For alerts the edge
 * itself raises (edge rules) as well as for authorized intake.
 */
export async function routeAndStore(
  env: Env,
  db: Database,
  alerts: IncomingAlert[],
  now: number,
  options: RouteOptions = {},
): Promise<void> {
  const [tenancy, receivers] = await Promise.all([
    options.tenancy ??
      tenancyOf(
        db,
        alerts.map((a) => a.labels),
      ),
    options.receivers ?? allReceivers(db),
  ]);
  const externalURL = externalUrl(env) ?? options.externalURL;
  const shards = new Map<string, RoutedAlert[]>();
  for (const alert of alerts) {
    const clusterId = alert.labels.cluster
      ? tenancy.clusterIds.get(alert.labels.cluster)
      : undefined;
    const placement =
      clusterId && alert.labels.namespace
        ? tenancy.placements.get(placementKey(clusterId, alert.labels.namespace))
        : undefined;
    const place = { clusterId, workspaceId: placement?.workspaceId };
    // Unregistered cluster names share the global shard: listing visits registered clusters only.
    const shard = options.shard ?? (clusterId ? shardOf(alert.labels.cluster) : GLOBAL_SHARD);
    const list = shards.get(shard) ?? [];
    const routes = routesFor(alert.labels, place, receivers);
    list.push({ alert, routes: externalURL ? routes.map((r) => ({ ...r, externalURL })) : routes });
    shards.set(shard, list);
  }
  await Promise.all([...shards].map(([shard, items]) => shardStub(env, shard).ingest(items, now)));
}
