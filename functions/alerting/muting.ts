import type { Database } from '../../db/client';
import { listInhibitRules } from '../../db/queries/inhibit-rules';
import type { LabelMatcher } from '../../db/schema/notification-receivers';
import type { Labels } from './labels';
import { compileMatchers, type LabelPredicate } from './matchers';

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

/**
 * The silences each shard needs: a cluster's shard holds only alerts
 * labelled with that cluster, so silences pinned to another cluster
 * (`cluster="<name>"`) cannot match there and are not sent to it. The
 * global shard gets those not pinned to a registered cluster.
 */
export function silencesPerShard(
  silences: ActiveSilence[],
  registered: string[],
): (cluster: string | undefined) => ActiveSilence[] {
  const known = new Set(registered);
  const pins = silences.map(
    (silence) => silence.matchers.find((m) => m.name === 'cluster' && m.op === '=')?.value,
  );
  return (cluster) =>
    silences.filter((_, i) => {
      const pin = pins[i];
      if (pin === undefined) return true;
      return cluster === undefined ? !known.has(pin) : pin === cluster;
    });
}

interface CompiledSilence {
  id: string;
  /** Position in the list given: results keep that order. */
  order: number;
  matches: LabelPredicate;
}

/**
 * The equality matcher a silence is filed under: one whose label must hold
 * exactly that value. `cluster` last: within a shard every alert shares it.
 */
function indexMatcher(matchers: LabelMatcher[]): LabelMatcher | undefined {
  const equalities = matchers.filter((m) => m.op === '=');
  return equalities.find((m) => m.name !== 'cluster') ?? equalities[0];
}

/**
 * Active silences compiled once for a listing or a flush (each regex
 * compiled once, RE2) and filed by one of their equality matchers, so an
 * alert is checked only against the silences that can match it (those filed
 * under a value it carries, plus those with no equality matcher) rather
 * than against every tenant's silences.
 */
export class SilenceSet {
  readonly #byLabel = new Map<string, Map<string, CompiledSilence[]>>();
  readonly #unfiled: CompiledSilence[] = [];

  constructor(silences: ActiveSilence[]) {
    silences.forEach((s, order) => {
      const compiled = { id: s.id, order, matches: compileMatchers(s.matchers) };
      const key = indexMatcher(s.matchers);
      if (!key) {
        this.#unfiled.push(compiled);
        return;
      }
      const byValue = this.#byLabel.get(key.name) ?? new Map<string, CompiledSilence[]>();
      this.#byLabel.set(key.name, byValue);
      const bucket = byValue.get(key.value);
      if (bucket) bucket.push(compiled);
      else byValue.set(key.value, [compiled]);
    });
  }

  #candidates(labels: Labels): CompiledSilence[][] {
    const lists = [this.#unfiled];
    for (const [name, byValue] of this.#byLabel) {
      const bucket = byValue.get(labels[name] ?? '');
      if (bucket) lists.push(bucket);
    }
    return lists;
  }

  /** Ids of the silences muting `labels`, in the order the silences were given. */
  silencedBy(labels: Labels): string[] {
    const hits: CompiledSilence[] = [];
    for (const list of this.#candidates(labels))
      for (const s of list) if (s.matches(labels)) hits.push(s);
    return hits.sort((a, b) => a.order - b.order).map((s) => s.id);
  }

  isSilenced(labels: Labels): boolean {
    for (const list of this.#candidates(labels))
      for (const s of list) if (s.matches(labels)) return true;
    return false;
  }
}

interface InhibitingAlert {
  fingerprint: string;
  labels: Labels;
}

interface CompiledRule {
  isTarget: LabelPredicate;
  equal: string[];
  /** Fingerprints of the rule's source alerts, by their values of the `equal` labels. */
  sources: Map<string, string[]>;
}

/** The values of the `equal` labels, as one key (a missing label counts as empty). */
const equalKey = (labels: Labels, equal: string[]) =>
  JSON.stringify(equal.map((name) => labels[name] ?? ''));

/**
 * Inhibition over a set of firing alerts, without comparing every target
 * with every source: per rule, the sources are indexed by their values of
 * the rule's `equal` labels once, and each target looks up only the sources
 * sharing its values. Linear in alerts × rules.
 */
export class Inhibitor {
  readonly #rules: CompiledRule[];

  constructor(rules: InhibitRule[], firing: InhibitingAlert[]) {
    this.#rules = rules.map((rule) => {
      const isSource = compileMatchers(rule.source);
      const sources = new Map<string, string[]>();
      for (const alert of firing) {
        if (!isSource(alert.labels)) continue;
        const key = equalKey(alert.labels, rule.equal);
        const list = sources.get(key);
        if (list) list.push(alert.fingerprint);
        else sources.set(key, [alert.fingerprint]);
      }
      return { isTarget: compileMatchers(rule.target), equal: rule.equal, sources };
    });
  }

  /**
   * Fingerprints of the firing alerts that mute `labels`, in rule then
   * source order. An alert never inhibits itself (a rule whose source and
   * target overlap).
   */
  inhibitedBy(labels: Labels, self: string): string[] {
    const by = new Set<string>();
    for (const rule of this.#rules) {
      if (rule.sources.size === 0 || !rule.isTarget(labels)) continue;
      for (const fp of rule.sources.get(equalKey(labels, rule.equal)) ?? [])
        if (fp !== self) by.add(fp);
    }
    return [...by];
  }

  isInhibited(labels: Labels, self: string): boolean {
    for (const rule of this.#rules) {
      if (rule.sources.size === 0 || !rule.isTarget(labels)) continue;
      const sources = rule.sources.get(equalKey(labels, rule.equal));
      if (sources?.some((fp) => fp !== self)) return true;
    }
    return false;
  }
}
