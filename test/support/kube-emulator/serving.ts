import { RESOURCE_BY_PLURAL, RESOURCES, type ResourceDef } from './resources';

/**
 * What the emulated cluster serves, per Kubernetes version, and which lists
 * the agent's own ServiceAccount is refused: the shapes of real clusters
 * the agent must degrade on, one resource at a time.
 *
 * Every resource the emulator keeps has been served at its v1 group-version
 * since before 1.19, except CronJobs: batch/v1beta1 only before 1.21, both
 * from 1.21 to 1.24, batch/v1 only from 1.25 (v1beta1 removed).
 */

/** Extra or restricted group-versions, by minor version (from inclusive, until exclusive). */
interface VersionedServing {
  plural: string;
  version: string;
  from?: number;
  until?: number;
}

const VERSIONED: VersionedServing[] = [
  { plural: 'cronjobs', version: 'v1', from: 21 },
  { plural: 'cronjobs', version: 'v1beta1', until: 25 },
];

/** The group of metrics-server's API (served unless listed in `unserved`). */
export const METRICS_GROUP = 'metrics.k8s.io';
/** Oldest and newest minors the emulator models. */
export const OLDEST_MINOR = 19;
export const NEWEST_MINOR = 32;

export interface ServingOptions {
  /** "1.19", "v1.20.15" …: /version and the group-versions served (default v1.30.2). */
  version?: string;
  /** Plurals (or "metrics.k8s.io" for the whole group) this cluster does not serve at all. */
  unserved?: string[];
  /** Plurals the agent's own (not impersonated) requests are refused with 403. */
  forbidden?: string[];
}

export function gitVersionOf(version: string): string {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(.*)$/.exec(version.trim());
  if (!match) throw new Error(`not a Kubernetes version: ${version}`);
  return `v${match[1]}.${match[2]}.${match[3] ?? '0'}${match[4] ?? ''}`;
}

export class ServingModel {
  readonly gitVersion: string;
  readonly minor: number;
  unserved: Set<string>;
  forbidden: Set<string>;

  constructor(options: ServingOptions = {}) {
    this.gitVersion = gitVersionOf(options.version ?? 'v1.30.2');
    this.minor = Number(this.gitVersion.split('.')[1]);
    this.unserved = new Set(options.unserved ?? []);
    this.forbidden = new Set(options.forbidden ?? []);
  }

  /** Versions a resource is served at in this cluster, preferred first. */
  versionsOf(def: ResourceDef): string[] {
    if (this.unserved.has(def.plural)) return [];
    const rules = VERSIONED.filter((r) => r.plural === def.plural);
    if (rules.length === 0) return [def.version];
    return rules
      .filter((r) => (r.from ?? 0) <= this.minor && this.minor < (r.until ?? Infinity))
      .map((r) => r.version);
  }

  /** The resource served at group/version/plural here (its definition at that version), if any. */
  resolve(group: string, version: string, plural: string): ResourceDef | undefined {
    const def = RESOURCE_BY_PLURAL.get(plural);
    if (!def || def.group !== group || !this.versionsOf(def).includes(version)) return undefined;
    return version === def.version ? def : { ...def, version };
  }

  metricsServed(): boolean {
    return !this.unserved.has(METRICS_GROUP);
  }

  /** Every served group-version of a non-core group, preferred (newest stable) first. */
  groupVersions(): Map<string, string[]> {
    const groups = new Map<string, string[]>();
    for (const def of RESOURCES) {
      if (!def.group) continue;
      const versions = groups.get(def.group) ?? [];
      for (const version of this.versionsOf(def))
        if (!versions.includes(version)) versions.push(version);
      groups.set(def.group, versions);
    }
    for (const [group, versions] of groups) {
      if (versions.length === 0) groups.delete(group);
      else versions.sort(byPreference);
    }
    if (this.metricsServed()) groups.set(METRICS_GROUP, ['v1beta1']);
    return groups;
  }

  /** Resources served at group/version, for its APIResourceList. */
  resourcesAt(group: string, version: string): ResourceDef[] {
    return RESOURCES.filter((def) => def.group === group && this.versionsOf(def).includes(version));
  }
}

/** v1 before v1beta1 before v1alpha1; v2 before v1. */
function byPreference(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(alpha|beta)?(\d*)$/.exec(v);
    if (!m) return 0;
    const stability = m[2] === 'alpha' ? 0 : m[2] === 'beta' ? 1 : 2;
    return stability * 1e6 + Number(m[1]) * 1e3 + Number(m[3] || 0);
  };
  return rank(b) - rank(a);
}
