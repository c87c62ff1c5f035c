import type { LabelMatcher } from '../../db/schema/notification-receivers';

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

const regexCache = new Map<string, RegExp | null>();

/** Alertmanager regex matchers are fully anchored RE2; an invalid one matches nothing. */
function anchored(pattern: string): RegExp | null {
  let re = regexCache.get(pattern);
  if (re === undefined) {
    try {
      re = new RegExp(`^(?:${pattern})$`);
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  return re;
}

/**
 * Shapes JavaScript's backtracking engine can take exponential time on
 * (Alertmanager's RE2 cannot): a quantified group that itself contains a
 * quantifier, and backreferences. Stored matchers run on every alert, so
 * such patterns are refused rather than risked.
 */
const nestedQuantifier = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)/;
const backreference = /\\[1-9]|\\k</;

/** Whether `pattern` compiles as an anchored regex and is safe to run (for validating input). */
export const isValidPattern = (pattern: string) =>
  anchored(pattern) !== null && !nestedQuantifier.test(pattern) && !backreference.test(pattern);

/** A missing label matches as the empty string, as in Alertmanager. */
export function matches(labels: Labels, matcher: LabelMatcher): boolean {
  const value = labels[matcher.name] ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchored(matcher.value)?.test(value) ?? false;
    case '!~':
      return !(anchored(matcher.value)?.test(value) ?? false);
  }
}

export const matchesAll = (labels: Labels, matchers: LabelMatcher[]) =>
  matchers.every((m) => matches(labels, m));

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
