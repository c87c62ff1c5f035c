import type { InventoryUpdate, NodeSummary } from '../../protocol/inventory';
import { migrateSchema } from '../durable-schema';
import { settings } from '../settings';
import type { AlertingEnv } from './alert-groups';
import { type EdgeAlertSender, UNTIL_RESOLVED_MS } from './edge-alert-sender';
import type { IncomingAlert } from './intake-schema';

/** The two node rules: edge nodes (KubeEdge) go offline, other nodes go NotReady. */
type NodeAlertName = 'NodeNotReady' | 'EdgeNodeOffline';

interface WatchedNode {
  name: string;
  edge: number;
  /** When the node's Ready condition turned false (epoch ms). */
  since: number;
  /** 1 once the alert fired (and needs a resolve). */
  fired: number;
}

/** How long a node may stay not ready before its alert fires (default 60 s each). */
export function nodeThresholdsMs(
  env: Pick<AlertingEnv, 'NODE_NOT_READY_ALERT_SECONDS' | 'EDGE_NODE_OFFLINE_ALERT_SECONDS'>,
): { node: number; edge: number } {
  return {
    node: settings(env).nodeNotReadyAlertSeconds * 1000,
    edge: settings(env).edgeNodeOfflineAlertSeconds * 1000,
  };
}

const alertNameOf = (edge: number): NodeAlertName => (edge ? 'EdgeNodeOffline' : 'NodeNotReady');

function alertOf(cluster: string, node: WatchedNode, endsAt: number): IncomingAlert {
  const name = alertNameOf(node.edge);
  const what = node.edge ? 'Edge node' : 'Node';
  const state = node.edge ? 'offline' : 'not ready';
  return {
    labels: { alertname: name, cluster, node: node.name, severity: 'warning' },
    annotations: {
      summary: `${what} ${node.name} of cluster ${cluster} is ${state}.`,
      description: `${what} ${node.name} has been ${state} since ${new Date(node.since).toISOString()}.`,
    },
    startsAt: node.since,
    endsAt,
    generatorURL: '',
  };
}

/** When the node's Ready condition last changed, else now (the edge first sees it not ready). */
function notReadySince(node: NodeSummary, now: number): number {
  const at = node.lastTransition ? Date.parse(node.lastTransition) : Number.NaN;
  return Number.isFinite(at) && at <= now ? at : now;
}

/**
 * The built-in edge rules `NodeNotReady` and `EdgeNodeOffline`: the
 * ClusterTunnel hands every applied inventory update to `observe`, which
 * tracks nodes whose Ready condition is false (in the tunnel's SQLite); its
 * alarm calls `check`, which fires the ones not ready for longer than the
 * threshold. A node that turns ready again or disappears resolves at once.
 */
export class NodeRules {
  readonly #env: AlertingEnv;
  readonly #sql: SqlStorage;
  readonly #sender: EdgeAlertSender;

  constructor(env: AlertingEnv, storage: DurableObjectStorage, sender: EdgeAlertSender) {
    this.#env = env;
    this.#sql = storage.sql;
    this.#sender = sender;
    migrateSchema(this.#sql, 'node-rules', [
      'CREATE TABLE IF NOT EXISTS alerting_nodes (name TEXT PRIMARY KEY, edge INTEGER NOT NULL, since INTEGER NOT NULL, fired INTEGER NOT NULL DEFAULT 0)',
    ]);
  }

  /**
   * Records the node changes of one inventory update. Returns the resolves
   * it sent (for waitUntil) and when `check` is next due, to arm the alarm.
   */
  observe(
    cluster: string,
    update: InventoryUpdate,
    now = Date.now(),
  ): { sent: Promise<void>; nextDue: number | undefined } {
    const resolved: IncomingAlert[] = [];
    const gone = (name: string) => {
      const row = this.#row(name);
      if (!row) return;
      if (row.fired) resolved.push(alertOf(cluster, row, now));
      this.#sql.exec('DELETE FROM alerting_nodes WHERE name = ?', name);
    };
    const upserts = update.type === 'snapshot' ? update.nodes : (update.nodes?.upserts ?? []);
    const deletes = update.type === 'snapshot' ? [] : (update.nodes?.deletes ?? []);
    if (update.type === 'snapshot') {
      const present = new Set(update.nodes.map((n) => n.name));
      for (const row of this.#rows()) if (!present.has(row.name)) gone(row.name);
    }
    for (const name of deletes) gone(name);
    for (const node of upserts) {
      const row = this.#row(node.name);
      const edge = node.edge ? 1 : 0;
      if (node.ready || (row && row.edge !== edge)) gone(node.name);
      if (!node.ready && (!row || row.edge !== edge))
        this.#sql.exec(
          'INSERT INTO alerting_nodes (name, edge, since, fired) VALUES (?, ?, ?, 0)',
          node.name,
          edge,
          notReadySince(node, now),
        );
    }
    return { sent: this.#sender.send(cluster, resolved, now), nextDue: this.#nextDue() };
  }

  /** Fires every alert now due; returns when to look again (undefined when nothing waits). */
  async check(cluster: string, now = Date.now()): Promise<number | undefined> {
    if (!cluster) return this.#nextDue();
    const { node, edge } = nodeThresholdsMs(this.#env);
    const due = this.#rows().filter((r) => !r.fired && r.since + (r.edge ? edge : node) <= now);
    // Marked before sending, so an update arriving meanwhile knows to resolve.
    for (const row of due)
      this.#sql.exec('UPDATE alerting_nodes SET fired = 1 WHERE name = ?', row.name);
    await this.#sender.send(
      cluster,
      due.map((row) => alertOf(cluster, row, now + UNTIL_RESOLVED_MS)),
      now,
    );
    return this.#nextDue();
  }

  /** The cluster is gone: resolves whatever fired. */
  async resolveAll(cluster: string, now = Date.now()): Promise<void> {
    const fired = this.#rows().filter((r) => r.fired);
    this.#sql.exec('DELETE FROM alerting_nodes');
    await this.#sender.send(
      cluster,
      fired.map((row) => alertOf(cluster, row, now)),
      now,
    );
  }

  #nextDue(): number | undefined {
    const { node, edge } = nodeThresholdsMs(this.#env);
    let next: number | undefined;
    for (const row of this.#rows()) {
      if (row.fired) continue;
      const at = row.since + (row.edge ? edge : node);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  #rows(): WatchedNode[] {
    return this.#sql
      .exec<WatchedNode & Record<string, SqlStorageValue>>(
        'SELECT name, edge, since, fired FROM alerting_nodes',
      )
      .toArray();
  }

  #row(name: string): WatchedNode | undefined {
    return this.#sql
      .exec<WatchedNode & Record<string, SqlStorageValue>>(
        'SELECT name, edge, since, fired FROM alerting_nodes WHERE name = ?',
        name,
      )
      .toArray()[0];
  }
}
