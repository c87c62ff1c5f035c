import { z } from '@hono/zod-openapi';

const nodeCounts = z.object({
  total: z.number().int(),
  ready: z.number().int(),
  edge: z.number().int(),
});

export const clusterHealth = z.enum(['pending', 'disconnected', 'critical', 'warning', 'healthy']);

export const overviewCluster = z
  .object({
    name: z.string(),
    status: z.enum(['pending', 'connected', 'disconnected']),
    lastSeen: z.string().nullable(),
    kubernetesVersion: z.string().nullable(),
    nodes: nodeCounts,
    /** Firing (not silenced or inhibited) alerts of this cluster the caller may see. */
    firingAlerts: z.number().int(),
    /**
     * Rolled up from connection, nodes and problem alerts: `critical` when
     * connected but with critical alerts or a node not ready; `warning` with
     * warning alerts only. Watchdog-style and silenced alerts do not count.
     */
    health: clusterHealth,
    /** Problem alerts (critical / warning, firing, not silenced, not a heartbeat) of this cluster. */
    problems: z.object({ critical: z.number().int(), warning: z.number().int() }),
  })
  .openapi('OverviewCluster');

/** One line of "needs attention". */
export const attentionItem = z
  .object({
    /** `app-halted`: an app's staged rollout stopped at `labels.cluster`; `summary` says why. */
    kind: z.enum(['cluster-disconnected', 'nodes-not-ready', 'app-halted', 'alert']),
    severity: z.enum(['critical', 'warning']),
    /** The alert's name, the cluster's for cluster lines, the app's for halted apps. */
    title: z.string(),
    /**
     * When it started (an alert's startsAt, a disconnected cluster's last
     * data, the oldest NodeNotReady / EdgeNodeOffline alert of a cluster with
     * nodes not ready); null when unknown.
     */
    since: z.string().nullable(),
    /** Where: cluster, node, namespace, pod (those present). */
    labels: z.record(z.string(), z.string()),
    /** Nodes not ready for `nodes-not-ready`; 1 otherwise. */
    count: z.number().int(),
    fingerprint: z.string().optional(),
    summary: z.string().optional(),
    description: z.string().optional(),
    /** The alert's `runbook_url` annotation (http/https only). */
    runbookUrl: z.string().optional(),
    /** The alert's generatorURL (http/https only). */
    sourceUrl: z.string().optional(),
  })
  .openapi('AttentionItem');

export const overviewSpend = z
  .object({
    currency: z.string(),
    amount: z.number(),
    workspaces: z.number().int(),
  })
  .openapi('OverviewSpend');

export const overview = z
  .object({
    generatedAt: z.string(),
    clusters: z.array(overviewCluster),
    /** True when there were more clusters than the first screen shows. */
    clustersTruncated: z.boolean(),
    totals: z.object({
      clusters: z.object({
        total: z.number().int(),
        connected: z.number().int(),
        disconnected: z.number().int(),
        pending: z.number().int(),
      }),
      nodes: nodeCounts,
    }),
    alerts: z.object({
      firing: z.number().int(),
      suppressed: z.number().int(),
      /** Firing alerts by their `severity` label (`none` when unlabelled). */
      bySeverity: z.record(z.string(), z.number().int()),
    }),
    /** This month's spend over the workspaces the caller may see; null until metering has prices. */
    spend: overviewSpend.nullable(),
    /**
     * Needs attention, ordered for triage: disconnected clusters, clusters
     * with nodes not ready, halted apps, critical then warning alerts; oldest first within
     * each. Watchdog-style always-firing alerts and silenced ones are left out.
     */
    attention: z.array(attentionItem),
  })
  .openapi('Overview');

export type Overview = z.infer<typeof overview>;
export type OverviewCluster = z.infer<typeof overviewCluster>;
export type OverviewSpend = z.infer<typeof overviewSpend>;
export type AttentionItem = z.infer<typeof attentionItem>;
export type ClusterHealth = z.infer<typeof clusterHealth>;
