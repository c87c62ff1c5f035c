import { z } from '@hono/zod-openapi';
import { type MeteringMetric, meteringMetrics } from '../../protocol/metering-samples';
import { stepParam, timeParam } from './time-params';

export const levels = ['cluster', 'node', 'workspace', 'namespace', 'workload', 'pod'] as const;
const name = z.string().min(1).max(253);
const metricNames = Object.keys(meteringMetrics) as [MeteringMetric, ...MeteringMetric[]];

export const meteringQuerySchema = z.object({
  level: z.enum(levels).default('cluster'),
  cluster: name.optional(),
  node: name.optional(),
  workspace: name.optional(),
  namespace: name.optional(),
  workload: name.optional(),
  pod: name.optional(),
  start: timeParam
    .optional()
    .openapi({ description: 'Unix seconds or RFC 3339; default: end − 1 day.' }),
  end: timeParam.optional().openapi({ description: 'Unix seconds or RFC 3339; default: now.' }),
  step: z
    .string()
    .optional()
    .openapi({ description: 'Like 5m, 1h, 1d; default 1h up to 31 days, else 1d.', example: '1h' }),
  metrics: z
    .string()
    .max(200)
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return metricNames;
      const wanted = value.split(',').map((m) => m.trim());
      const unknown = wanted.filter((m) => !metricNames.includes(m as MeteringMetric));
      if (unknown.length) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown metrics: ${unknown.join(', ')} (known: ${metricNames.join(', ')})`,
        });
        return z.NEVER;
      }
      return [...new Set(wanted)] as MeteringMetric[];
    })
    .openapi({
      type: 'string',
      description: `Comma-separated subset of ${metricNames.join(', ')}.`,
    }),
});

/** The query after defaults: times in unix seconds, step in seconds. */
export interface MeteringQueryInput {
  level: (typeof levels)[number];
  cluster?: string | undefined;
  node?: string | undefined;
  workspace?: string | undefined;
  namespace?: string | undefined;
  workload?: string | undefined;
  pod?: string | undefined;
  start: number;
  end: number;
  step: number;
  stepText: string;
  metrics: MeteringMetric[];
}

const DAY = 86_400;

/** Fills in the defaults of a parsed query (end now, start a day before, a step fitting the range). */
export function withDefaults(
  query: z.infer<typeof meteringQuerySchema>,
  nowSeconds: number,
): MeteringQueryInput | { error: string } {
  const end = query.end ?? nowSeconds;
  const start = query.start ?? end - DAY;
  const stepText = query.step ?? (end - start <= 31 * DAY ? '1h' : '1d');
  const step = stepParam.safeParse(stepText);
  if (!step.success)
    return {
      error: `Invalid query parameters: step: ${step.error.issues[0]?.message ?? 'invalid'}`,
    };
  return { ...query, start, end, step: step.data, stepText };
}

const series = z.object({
  unit: z.string(),
  sum: z.number(),
  min: z.number(),
  max: z.number(),
  avg: z.number(),
  fee: z.number(),
  series: z.array(z.tuple([z.number(), z.number()])),
});
export type MeteringSeries = z.infer<typeof series>;

export const selectorSchema = z.object({
  cluster: z.string().optional(),
  workspace: z.string().optional(),
  namespace: z.string().optional(),
  node: z.string().optional(),
  workload: z.string().optional(),
  workloadKind: z.string().optional(),
  pod: z.string().optional(),
});

export const meteringResponseSchema = z
  .object({
    level: z.enum(levels),
    start: z.number(),
    end: z.number(),
    step: z.string(),
    currency: z.string(),
    items: z.array(
      z.object({
        selector: selectorSchema,
        metrics: z.partialRecord(z.enum(metricNames), series),
      }),
    ),
  })
  .openapi('MeteringResponse');
export type MeteringResponse = z.infer<typeof meteringResponseSchema>;
