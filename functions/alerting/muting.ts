import type { Database } from '../../db/client';
import { listInhibitRules } from '../../db/queries/inhibit-rules';
import type { LabelMatcher } from '../../db/schema/notification-receivers';
import { type Labels, matchesAll } from './labels';

export interface ActiveSilence {
  id: string;
  matchers: LabelMatcher[];
}

export interface InhibitRule {
  source: LabelMatcher[];
  target: LabelMatcher[];
  equal: string[];
}

/** Alertmanager's usual rule: a critical alert mutes the warning of the same alertname+namespace. */
export const defaultInhibitRules: InhibitRule[] = [
  {
    source: [{ name: 'severity', op: '=', value: 'critical' }],
    target: [{ name: 'severity', op: '=', value: 'warning' }],
    equal: ['alertname', 'namespace'],
  },
];

/** The platform's inhibition rules: the stored ones, or the default while none is stored. */
export async function inhibitRulesIn(db: Database): Promise<InhibitRule[]> {
  const rows = await listInhibitRules(db);
  if (rows.length === 0) return defaultInhibitRules;
  return rows.map((r) => ({ source: r.sourceMatchers, target: r.targetMatchers, equal: r.equal }));
}

export const silencedBy = (labels: Labels, silences: ActiveSilence[]) =>
  silences.filter((s) => matchesAll(labels, s.matchers)).map((s) => s.id);

/**
 * Fingerprints of the firing alerts that mute `labels` under `rules`. An
 * alert never inhibits itself (a rule whose source and target overlap).
 */
export function inhibitedBy(
  labels: Labels,
  self: string,
  firing: { fingerprint: string; labels: Labels }[],
  rules: InhibitRule[],
): string[] {
  const by = new Set<string>();
  for (const rule of rules) {
    if (!matchesAll(labels, rule.target)) continue;
    for (const source of firing) {
      if (source.fingerprint === self || !matchesAll(source.labels, rule.source)) continue;
      if (rule.equal.every((name) => (source.labels[name] ?? '') === (labels[name] ?? '')))
        by.add(source.fingerprint);
    }
  }
  return [...by];
}
