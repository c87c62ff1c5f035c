import { z } from '@hono/zod-openapi';
import { timeParam } from './time-params';

/**
 * A price per API unit. JSON has no NaN or Infinity, but numbers like 1e999
 * parse to Infinity, and strings are not numbers: both refused.
 */
const price = (what: string) =>
  z
    .number({ error: `${what} must be a number.` })
    .finite({ error: `${what} must be finite.` })
    .nonnegative({ error: `${what} must not be negative.` })
    .max(1e9, { error: `${what} is implausibly large.` });

/** ISO 4217 alphabetic codes are three upper-case letters. */
export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, {
    error: 'currency must be an ISO 4217 code of three capital letters, like USD.',
  })
  .refine((code) => knownCurrency(code), { error: 'currency is not an ISO 4217 currency code.' });

function knownCurrency(code: string): boolean {
  // Intl knows the ISO 4217 list: an unknown code has no display name of its own.
  try {
    const name = new Intl.DisplayNames(['en'], { type: 'currency', fallback: 'none' }).of(code);
    return name !== undefined && name !== code;
  } catch {
    return false;
  }
}

export const priceFields = {
  currency: currencySchema,
  cpuPerCoreHour: price('cpuPerCoreHour'),
  memoryPerGiBHour: price('memoryPerGiBHour'),
  ingressPerGiB: price('ingressPerGiB'),
  egressPerGiB: price('egressPerGiB'),
  pvcPerGiBHour: price('pvcPerGiBHour'),
};

export const putPriceBody = z
  .strictObject({
    ...priceFields,
    effectiveFrom: timeParam.optional().openapi({
      description: 'A whole UTC hour, not in the past (default: the next whole hour).',
    }),
  })
  .openapi('MeteringPriceInput');

export type PriceInput = z.infer<typeof putPriceBody>;

const priceView = z.object({
  currency: z.string(),
  cpuPerCoreHour: z.number(),
  memoryPerGiBHour: z.number(),
  ingressPerGiB: z.number(),
  egressPerGiB: z.number(),
  pvcPerGiBHour: z.number(),
  /** Unix seconds; null when no price was ever set (all zero). */
  effectiveFrom: z.number().nullable(),
  /** The cluster whose override this is, or null for the platform price. */
  cluster: z.string().nullable(),
});

export const priceResponse = priceView
  .extend({
    /** Every price change of this scope, oldest first, including scheduled ones. */
    history: z.array(priceView),
  })
  .openapi('MeteringPrice');
export type PriceView = z.infer<typeof priceView>;

export const pricesQuery = z.object({
  cluster: z.string().min(1).max(253).optional().openapi({
    description: 'A cluster: its override (or, on GET, the platform price it falls back to).',
  }),
});
