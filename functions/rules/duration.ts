/**
 * Prometheus durations ("5m", "1h30m", "1d", "0s"): units y, w, d, h, m, s,
 * ms, largest first, each at most once. Rules keep whole seconds.
 */
const unitSeconds: Record<string, number> = {
  y: 365 * 86_400,
  w: 7 * 86_400,
  d: 86_400,
  h: 3_600,
  m: 60,
  s: 1,
  ms: 0.001,
};
const order = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
const durationPattern = /^(?:(\d+)(y|w|d|h|ms|m|s))+$/;
const part = /(\d+)(y|w|d|h|ms|m|s)/g;

/** Seconds of a Prometheus duration, or undefined when it is not one (or not whole seconds). */
export function parseDuration(text: string): number | undefined {
  if (text === '0') return 0;
  if (text.length > 32 || !durationPattern.test(text)) return undefined;
  let seconds = 0;
  let last = -1;
  for (const [, amount, unit] of text.matchAll(part)) {
    const rank = order.indexOf(unit as string);
    if (rank <= last) return undefined; // units largest first, each once (Prometheus' rule)
    last = rank;
    seconds += Number(amount) * (unitSeconds[unit as string] as number);
  }
  return Number.isInteger(seconds) && Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Prometheus' own spelling of a whole number of seconds ("1h30m", "0s"). */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const unit of order.slice(0, 6)) {
    const size = unitSeconds[unit] as number;
    const amount = Math.floor(rest / size);
    if (amount > 0) {
      out += `${amount}${unit}`;
      rest -= amount * size;
    }
  }
  return out;
}
