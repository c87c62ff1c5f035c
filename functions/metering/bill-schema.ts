import { z } from '@hono/zod-openapi';
import { meteringMetrics } from '../../protocol/metering-samples';
import { timeParam } from './time-params';

export const billGroupings = ['namespace', 'workload', 'cluster'] as const;
export type BillGrouping = (typeof billGroupings)[number];

export const billQuery = z.object({
  start: timeParam
    .optional()
    .openapi({ description: 'Unix seconds or RFC 3339; default: the start of this month (UTC).' }),
  end: timeParam.optional().openapi({ description: 'Unix seconds or RFC 3339; default: now.' }),
  groupBy: z.enum(billGroupings).default('namespace'),
  format: z.enum(['json', 'csv']).default('json'),
});

const perMetric = z.object(
  Object.fromEntries(Object.keys(meteringMetrics).map((m) => [m, z.number()])) as Record<
    keyof typeof meteringMetrics,
    z.ZodNumber
  >,
);

const line = z.object({
  quantities: perMetric,
  fees: perMetric,
  fee: z.number(),
});

export const billRow = line
  .extend({
    cluster: z.string().optional(),
    namespace: z.string().optional(),
    workloadKind: z.string().optional(),
    workload: z.string().optional(),
  })
  .openapi('BillRow');
export type BillRow = z.infer<typeof billRow>;

export const billSchema = z
  .object({
    workspace: z.string(),
    start: z.number(),
    end: z.number(),
    groupBy: z.enum(billGroupings),
    currency: z.string(),
    units: z.record(z.string(), z.string()),
    rows: z.array(billRow),
    totals: line,
  })
  .openapi('Bill');
export type Bill = z.infer<typeof billSchema>;
