/**
 * Number formatting as Prometheus' Go templates print it, so an annotation
 * reads the same whether Prometheus or the agent expanded it.
 */

/** Go's `%.<p>g`: `p` significant digits, trailing zeros dropped, `e±XX` outside 1e-4..1e<p>. */
export function goG(value: number, precision = 4): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = value.toExponential(precision - 1).split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= precision) return `${trimZeros(mantissa)}e${goExponent(exp)}`;
  return trimZeros(value.toFixed(Math.max(0, precision - 1 - exp)));
}

/** Go's `%v` of a float64 (shortest digits that round-trip; `e±XX` outside 1e-4..1e6, as fmt prints 1.5e+06). */
export function goFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa = '0', expText = '0'] = value.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 6) return `${mantissa}e${goExponent(exp)}`;
  return String(value);
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function goExponent(exp: number): string {
  const digits = String(Math.abs(exp)).padStart(2, '0');
  return `${exp < 0 ? '-' : '+'}${digits}`;
}

/** Prometheus' `humanize`: SI prefixes (k, M, … and m, u, …), 4 significant digits. */
export function humanize(value: number): string {
  if (value === 0 || !Number.isFinite(value)) return goG(value);
  if (Math.abs(value) >= 1) {
    const prefixes = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
    let prefix = '';
    for (const p of prefixes) {
      if (Math.abs(value) < 1000) break;
      prefix = p;
      value /= 1000;
    }
    return `${goG(value)}${prefix}`;
  }
  const prefixes = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];
  let prefix = '';
  for (const p of prefixes) {
    if (Math.abs(value) >= 1) break;
    prefix = p;
    value *= 1000;
  }
  return `${goG(value)}${prefix}`;
}

/** Prometheus' `humanize1024`: binary prefixes (Ki, Mi, …). */
export function humanize1024(value: number): string {
  if (Math.abs(value) <= 1 || !Number.isFinite(value)) return goG(value);
  const prefixes = ['Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];
  let prefix = '';
  for (const p of prefixes) {
    if (Math.abs(value) < 1024) break;
    prefix = p;
    value /= 1024;
  }
  return `${goG(value)}${prefix}`;
}

/** Prometheus' `humanizePercentage`: 0.1234 → "12.34%". */
export function humanizePercentage(value: number): string {
  return `${goG(value * 100)}%`;
}

/** Prometheus' `humanizeDuration`: seconds → "1d 2h 3m 4s", "1.5s", "250ms". */
export function humanizeDuration(value: number): string {
  if (!Number.isFinite(value)) return goG(value);
  if (value === 0) return '0s';
  if (Math.abs(value) >= 1) {
    const sign = value < 0 ? '-' : '';
    const whole = Math.trunc(Math.abs(value));
    const seconds = whole % 60;
    const minutes = Math.trunc(whole / 60) % 60;
    const hours = Math.trunc(whole / 3600) % 24;
    const days = Math.trunc(whole / 86_400);
    if (days !== 0) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0) return `${sign}${minutes}m ${seconds}s`;
    return `${sign}${goG(Math.abs(value))}s`;
  }
  const prefixes = ['m', 'u', 'n'];
  let prefix = '';
  for (const p of prefixes) {
    if (Math.abs(value) >= 1) break;
    prefix = p;
    value *= 1000;
  }
  return `${goG(value)}${prefix}s`;
}

/** Prometheus' `humanizeTimestamp`: unix seconds → "2006-01-02 15:04:05.999999999 +0000 UTC". */
export function humanizeTimestamp(value: number): string {
  if (!Number.isFinite(value)) return goG(value);
  const iso = new Date(value * 1000).toISOString(); // 2006-01-02T15:04:05.123Z
  const [date, time = ''] = iso.split('T');
  const clock = time.replace('Z', '').replace(/\.?0+$/, '');
  return `${date} ${clock} +0000 UTC`;
}
