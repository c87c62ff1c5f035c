import { z } from 'zod';

/** A price typed into the form: a plain decimal, the API checks range and finiteness. */
const amount = z
  .string()
  .trim()
  .regex(/^\d+(\.\d+)?$/, 'a number like 0.05')
  .transform(Number);

export const priceForm = z.object({
  currency: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase())
    .pipe(z.string().regex(/^[A-Z]{3}$/, 'three letters, like USD')),
  cpuPerCoreHour: amount,
  memoryPerGiBHour: amount,
  ingressPerGiB: amount,
  egressPerGiB: amount,
  pvcPerGiBHour: amount,
  // <input type="datetime-local"> sends "2026-12-02T10:00", read as UTC (the page says so).
  effectiveFrom: z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (!v) return undefined;
      const ms = Date.parse(/Z$|[+-]\d\d:\d\d$/.test(v) ? v : `${v}Z`);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: 'custom', message: 'a date and time' });
        return z.NEVER;
      }
      return new Date(ms).toISOString();
    }),
});

export const priceFormFields = [
  'currency',
  'cpuPerCoreHour',
  'memoryPerGiBHour',
  'ingressPerGiB',
  'egressPerGiB',
  'pvcPerGiBHour',
  'effectiveFrom',
] as const;
