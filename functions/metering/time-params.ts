import { z } from '@hono/zod-openapi';

/** Unix seconds or RFC 3339, as Prometheus' HTTP API takes them. */
export const timeParam = z
  .union([z.number(), z.string().min(1).max(64)])
  .transform((value, ctx) => {
    const seconds = parseTime(value);
    if (seconds === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be unix seconds or an RFC 3339 time' });
      return z.NEVER;
    }
    return seconds;
  })
  .openapi({ type: 'string', example: '2026-11-01T00:00:00Z' });

const rfc3339 = z.iso.datetime({ offset: true });

export function parseTime(value: number | string): number | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? Math.floor(value) : undefined;
  if (/^\d{1,12}(\.\d+)?$/.test(value)) return Math.floor(Number(value));
  if (!rfc3339.safeParse(value).success) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) && ms >= 0 ? Math.floor(ms / 1000) : undefined;
}

const stepUnits = { m: 60, h: 3600, d: 86_400 } as const;

/** A step like 5m, 1h, 1d (whole minutes: the finest stored bucket). */
export const stepParam = z
  .string()
  .regex(/^[1-9]\d{0,4}[mhd]$/, { error: 'step must be like 5m, 1h or 1d' })
  .transform((s) => Number(s.slice(0, -1)) * stepUnits[s.slice(-1) as keyof typeof stepUnits])
  .openapi({ type: 'string', example: '1h' });

export const HOUR = 3600;
export const DAY = 86_400;
export const floorTo = (t: number, unit: number) => t - (t % unit);
export const ceilTo = (t: number, unit: number) => floorTo(t + unit - 1, unit);
