import type { Database } from '../../db/client';
import type { Principal } from '../../db/principal';
import { allClusters, allReceivers, type ReceiverRow, tenancyOf } from '../../db/queries/alerts';
import { ApiError, forbidden } from '../errors';
import { can } from '../iam/authorize';
import type { AlertingEnv } from './alert-groups';
import { placementKey, scopeOfLabels, type Tenancy } from './alert-scope';
import { MAX_LIVE_ALERTS_PER_SHARD } from './caps';
import { externalUrl } from './external-url';
import type { IncomingAlert } from './intake-schema';
import type { RoutedAlert } from './route';
import { routerFor } from './routing';
import { clusterShard, GLOBAL_SHARD, shardStub } from './shards';

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
  env: AlertingEnv,
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
  const outcome = await routeAndStore(env, db, alerts, now, {
    tenancy,
    receivers: await receiving,
    externalURL,
  });
  if (outcome.refused.length > 0) throw shardFull(outcome.refused);
  return alerts.length;
}

/**
 * 429 once the alerts that fit are stored: Alertmanager answers a partly
 * accepted post with an error too, and Prometheus logs it, counts it in
 * prometheus_notifications_errors_total and sends every firing alert again
 * at its next resend, so refused alerts arrive once there is room.
 */
function shardFull(refused: RefusedAlerts[]): ApiError {
  const where = refused.map((r) => `${r.count} in cluster "${r.cluster ?? '(none)'}"`).join(', ');
  const total = refused.reduce((n, r) => n + r.count, 0);
  return new ApiError(
    429,
    `Alert shard full (at most ${MAX_LIVE_ALERTS_PER_SHARD} live alerts per cluster): ${total} new alerts refused (${where}); the others were stored and alerts already held were refreshed.`,
    { code: 'alert_limit_reached', headers: { 'Retry-After': '60' } },
  );
}

export interface RouteOptions {
  /** Already resolved from the alerts' labels. */
  tenancy?: Tenancy;
  /** Already read. */
  receivers?: ReceiverRow[];
  /**
   * Edge rules pin their cluster's shard (`clusterShard(id)`): a resolve sent
   * while the cluster is being deleted (no longer in D1) must reach the
   * shard that holds the firing alert. Pinned alerts are the edge's own (a
   * bounded few per cluster, ClusterDisconnected among them), so the
   * per-shard cap does not refuse them.
   */
  shard?: string;
  /** The edge's URL the alerts came in on; PUBLIC_URL, when set, wins. */
  externalURL?: string | undefined;
}

/** New alerts a full shard refused. */
export interface RefusedAlerts {
  shard: string;
  cluster: string | undefined;
  count: number;
}

export interface RouteOutcome {
  stored: number;
  refused: RefusedAlerts[];
}

/**
 * Resolves each alert's receivers (tenancy from its cluster and namespace
 * labels) and hands the alerts to their cluster's shard. For alerts the edge
 * itself raises (edge rules) as well as for authorized intake.
 */
export async function routeAndStore(
  env: AlertingEnv,
  db: Database,
  alerts: IncomingAlert[],
  now: number,
  options: RouteOptions = {},
): Promise<RouteOutcome> {
  const [tenancy, receivers] = await Promise.all([
    options.tenancy ??
      tenancyOf(
        db,
        alerts.map((a) => a.labels),
      ),
    options.receivers ?? allReceivers(db),
  ]);
  const route = routerFor(receivers);
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
    // By the cluster's id. Unregistered cluster names share the global shard,
    // which only platform-wide readers list: a cluster registered later under
    // the name never sees them (its own shard is new and empty).
    const shard = options.shard ?? (clusterId ? clusterShard(clusterId) : GLOBAL_SHARD);
    const list = shards.get(shard) ?? [];
    const routes = route(alert.labels, place);
    list.push({ alert, routes: externalURL ? routes.map((r) => ({ ...r, externalURL })) : routes });
    shards.set(shard, list);
  }
  const capped = options.shard === undefined;
  const results = await Promise.all(
    [...shards].map(async ([shard, items]) => ({
      shard,
      cluster: items[0]?.alert.labels.cluster,
      result: await shardStub(env, shard).ingest(items, now, { capped }),
    })),
  );
  return {
    stored: results.reduce((n, r) => n + r.result.stored, 0),
    refused: results
      .filter((r) => r.result.refused > 0)
      .map((r) => ({ shard: r.shard, cluster: r.cluster, count: r.result.refused })),
  };
}
