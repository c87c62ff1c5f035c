import { z } from '@hono/zod-openapi';
import { meteringMetrics } from '../../protocol/metering-samples';

const perMetric = z.object(
  Object.fromEntries(Object.keys(meteringMetrics).map((m) => [m, z.number()])) as Record<
    keyof typeof meteringMetrics,
    z.ZodNumber
  >,
);

export const summarySchema = z
  .object({
    workspace: z.string(),
    currency: z.string(),
    generatedAt: z.number(),
    thisMonth: z.object({
      start: z.number(),
      end: z.number(),
      amount: z.number(),
      quantities: perMetric,
    }),
    lastMonth: z.object({ start: z.number(), end: z.number(), amount: z.number() }),
    topNamespaces: z.array(
      z.object({
        cluster: z.string(),
        namespace: z.string(),
        amount: z.number(),
        cpuCoreHours: z.number(),
      }),
    ),
    /** [UTC day start, fees that day] for the last 30 days, today last. */
    trend: z.array(z.tuple([z.number(), z.number()])),
  })
  .openapi('MeteringSummary');
export type MeteringSummary = z.infer<typeof summarySchema>;
