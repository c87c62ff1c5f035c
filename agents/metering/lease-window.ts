/**
 * The cluster's metering watermark on the leader Lease: where the last
 * leader's metering ended, so the next leader continues right after it
 * instead of after its own last window (a gap if it never led, windows
 * metered twice if it led a while ago).
 *
 * Why the Lease and not the edge: leadership can only move while the
 * replicas reach the API server, so the Lease is readable at every
 * hand-over, even while the edge is away — and the edge's own watermark
 * then lags behind the old leader's spool anyway. The leader writes the
 * value with each renewal, so it can lag by one renewal period (a crash
 * right after a window): the next leader then meters that window again,
 * and the edge counts it once, from whichever replica delivered it first
 * (functions/metering/store-windows.ts).
 */
export const LEASE_WINDOW_ANNOTATION = 'edgetower.io/metering-window-end';

/** The watermark (unix seconds) found on the Lease, if any and well-formed. */
export function leaseWindowEnd(annotations: Record<string, string>): number | undefined {
  const text = annotations[LEASE_WINDOW_ANNOTATION];
  if (text === undefined || !/^\d{1,12}$/.test(text)) return undefined;
  return Number(text);
}

/** The annotations recording that metering reached `windowEnd` (none before the first window). */
export function leaseWindowAnnotations(windowEnd: number | undefined): Record<string, string> {
  return windowEnd === undefined ? {} : { [LEASE_WINDOW_ANNOTATION]: String(windowEnd) };
}
