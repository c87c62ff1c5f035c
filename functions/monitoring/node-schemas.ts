import { z } from '@hono/zod-openapi';
import { nodeSummary } from '../../protocol/tunnel';
import { clusterNameParam } from '../clusters/schemas';

const nodeName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, 'a DNS subdomain');
export const nodeParams = clusterNameParam.extend({ node: nodeName });

export const historyRanges = { '1h': 3600, '6h': 6 * 3600, '24h': 86_400 } as const;
export const nodeQuery = z.object({
  history: z.enum(['1h', '6h', '24h']).default('1h'),
});

const reason = z.string().openapi({ description: 'Why the figure is null.' });
export const nodeFigures = z
  .object({
    name: z.string(),
    edge: z.boolean(),
    ready: z.boolean(),
    cpu: z
      .object({
        usedCores: z.number(),
        capacityCores: z.number().nullable(),
        ratio: z.number().nullable(),
      })
      .nullable(),
    memory: z
      .object({
        usedBytes: z.number(),
        capacityBytes: z.number().nullable(),
        ratio: z.number().nullable(),
      })
      .nullable(),
    disk: z.object({ usedBytes: z.number(), totalBytes: z.number(), ratio: z.number() }).nullable(),
    network: z
      .object({ receiveBytesPerSecond: z.number(), transmitBytesPerSecond: z.number() })
      .nullable(),
    missing: z.object({
      cpu: reason.optional(),
      memory: reason.optional(),
      disk: reason.optional(),
      network: reason.optional(),
    }),
    sampledAt: z.string().nullable(),
  })
  .openapi('NodeMetrics');

const source = z.object({ ok: z.boolean(), reason: z.string().nullable() });
const readState = {
  live: z.boolean().openapi({
    description:
      'False when the cluster is disconnected: the figures are the last ones this edge kept (collectedAt says when), or null.',
  }),
  collectedAt: z.string().nullable(),
  sources: z.object({ metricsServer: source, nodeExporter: source }),
};

export const nodeMetricsList = z
  .object({ items: z.array(nodeFigures), nextCursor: z.string().optional(), ...readState })
  .openapi('NodeMetricsList');

const condition = z.object({
  type: z.string(),
  status: z.string(),
  reason: z.string().nullable(),
  message: z.string().nullable(),
  lastTransitionTime: z.string().nullable(),
});
const point = z.tuple([z.number(), z.number()]);

export const nodeDetail = z
  .object({
    node: nodeSummary.extend({ conditions: z.array(condition).nullable() }),
    figures: nodeFigures,
    history: z
      .object({ start: z.number(), end: z.number(), cpu: z.array(point), memory: z.array(point) })
      .nullable()
      .openapi({
        description: 'Ratios 0–1 over time, from node-exporter; null with historyMissing.',
      }),
    historyMissing: z.string().nullable(),
    ...readState,
  })
  .openapi('NodeMetricsDetail');
export type NodeDetail = z.infer<typeof nodeDetail>;
export type NodeCondition = z.infer<typeof condition>;
