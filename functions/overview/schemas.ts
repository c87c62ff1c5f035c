import { z } from '@hono/zod-openapi';

const nodeCounts = z.object({
  total: z.number().int(),
  ready: z.number().int(),
  edge: z.number().int(),
});

export const overviewCluster = z
  .object({
    name: z.string(),
    status: z.enum(['pending', 'connected', 'disconnected']),
    lastSeen: z.string().nullable(),
    kubernetesVersion: z.string().nullable(),
    nodes: nodeCounts,
    /** Firing (not silenced or inhibited) alerts of this cluster the caller may see. */
    firingAlerts: z.number().int(),
  })
  .openapi('OverviewCluster');

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
  })
  .openapi('Overview');

export type Overview = z.infer<typeof overview>;
export type OverviewCluster = z.infer<typeof overviewCluster>;
export type OverviewSpend = z.infer<typeof overviewSpend>;
