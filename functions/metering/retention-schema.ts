import { z } from '@hono/zod-openapi';

/**
 * Retention of one cluster's metering store, in whole days; 0 keeps a
 * table forever. Raw (minute) facts are always finite — they are the bulk
 * of a store — and each coarser table keeps at least as long as the finer
 * one below it, so a range past one cutoff is still answered from the next.
 */
const days = (field: string, min: number, max: number) =>
  z
    .number({ error: `${field} must be a whole number of days.` })
    .int({ error: `${field} must be a whole number of days.` })
    .min(min, { error: `${field} must be at least ${min}.` })
    .max(max, { error: `${field} must be at most ${max}.` });

export const putRetentionBody = z
  .strictObject({
    rawDays: days('rawDays', 1, 90).openapi({ description: 'Minute facts, 1–90 days.' }),
    hourlyDays: days('hourlyDays', 0, 3660).openapi({
      description: 'Hourly facts, days ≥ rawDays, or 0 to keep them forever.',
    }),
    dailyDays: days('dailyDays', 0, 36_600).optional().openapi({
      description: 'Daily facts, days ≥ hourlyDays, or 0 (the default) to keep them forever.',
    }),
  })
  .superRefine((r, ctx) => {
    if (r.hourlyDays !== 0 && r.hourlyDays < r.rawDays)
      ctx.addIssue({
        code: 'custom',
        path: ['hourlyDays'],
        message: 'hourlyDays must be at least rawDays (or 0, forever).',
      });
    const daily = r.dailyDays ?? 0;
    if (daily !== 0 && (r.hourlyDays === 0 || daily < r.hourlyDays))
      ctx.addIssue({
        code: 'custom',
        path: ['dailyDays'],
        message: 'dailyDays must be at least hourlyDays (or 0, forever).',
      });
  })
  .openapi('MeteringRetentionInput');

export type RetentionInput = z.infer<typeof putRetentionBody>;

export const retentionResponse = z
  .object({
    cluster: z.string(),
    rawDays: z.number(),
    hourlyDays: z.number(),
    /** 0: kept forever. */
    dailyDays: z.number(),
  })
  .openapi('MeteringRetention');
export type RetentionView = z.infer<typeof retentionResponse>;
