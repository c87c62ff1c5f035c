export type Labels = Record<string, string>;

const encoder = new TextEncoder();

/**
 * Alertmanager-style identity of an alert: a hash of its sorted label set,
 * so the same alert sent by two Prometheus replicas (or resent every
 * evaluation) is one alert. 16 hex digits, like Alertmanager's.
 */
export async function fingerprint(labels: Labels): Promise<string> {
  const canonical = Object.keys(labels)
    .sort()
    .map((name) => `${name}\u0000${labels[name]}`)
    .join('\u0001');
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(canonical)));
  let hex = '';
  for (const byte of digest.subarray(0, 8)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}

/** Receivers' matchers are validated in functions/notify/schemas.ts through this name. */
export { isValidPattern } from './matchers';

/** The labels named by `groupBy` (all labels when it contains `...`), sorted by name. */
export function groupLabelsOf(labels: Labels, groupBy: string[]): Labels {
  const names = groupBy.includes('...') ? Object.keys(labels) : groupBy;
  const out: Labels = {};
  for (const name of [...names].sort()) {
    const value = labels[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
