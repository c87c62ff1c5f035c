import { AGENT_VERSION } from '../../protocol/agent-version';
import { type EdgeAlertSender, UNTIL_RESOLVED_MS } from './edge-alert-sender';
import type { IncomingAlert } from './intake-schema';

/** Storage key (in the cluster's ClusterTunnel) of the firing skew alert's start time. */
const FIRING_KEY = 'alerting:agent-version-skew';

/** "major.minor" of a release version ("v0.1.3" → "0.1"); undefined for dev builds ("test", "main"). */
export function minorOf(version: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?$/.exec(version.trim());
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

/**
 * Why the connected agents' versions are skewed, or undefined when they are
 * not: an agent on another major.minor than the edge's AGENT_VERSION, or two
 * agents on different major.minor (patch releases mix freely during a
 * rolling upgrade). Versions that are not releases are not compared.
 */
export function versionSkew(
  agentVersions: string[],
  edgeVersion = AGENT_VERSION,
): string | undefined {
  const edge = minorOf(edgeVersion);
  const released = [...new Set(agentVersions)].filter((v) => minorOf(v) !== undefined);
  const behind = released.filter((v) => minorOf(v) !== edge);
  if (behind.length)
    return `Agent version ${behind.join(', ')} differs from the edge's ${edgeVersion} (major.minor).`;
  const minors = new Set(released.map(minorOf));
  if (minors.size > 1) return `Connected agents run different versions: ${released.join(', ')}.`;
  return undefined;
}

const alertOf = (
  cluster: string,
  since: number,
  endsAt: number,
  description: string,
): IncomingAlert => ({
  labels: { alertname: 'AgentVersionSkew', cluster, severity: 'warning' },
  annotations: {
    summary: `The agents of cluster ${cluster} and the edge run different versions.`,
    description,
  },
  startsAt: since,
  endsAt,
  generatorURL: '',
});

/**
 * The built-in edge rule `AgentVersionSkew`: evaluated by the ClusterTunnel
 * whenever the set of connected agents changes (HELLO, close), from the
 * versions the agents reported in HELLO. Fires at once, resolves once no
 * skew remains (upgraded, or the odd agent left).
 */
export class VersionSkewRule {
  readonly #storage: DurableObjectStorage;
  readonly #sender: EdgeAlertSender;

  constructor(storage: DurableObjectStorage, sender: EdgeAlertSender) {
    this.#storage = storage;
    this.#sender = sender;
  }

  async evaluate(cluster: string, agentVersions: string[], now = Date.now()): Promise<void> {
    if (!cluster) return;
    const skew = versionSkew(agentVersions);
    const since = await this.#storage.get<number>(FIRING_KEY);
    if (skew && since === undefined) {
      await this.#storage.put(FIRING_KEY, now);
      await this.#sender.send(cluster, [alertOf(cluster, now, now + UNTIL_RESOLVED_MS, skew)], now);
    } else if (!skew && since !== undefined) {
      await this.#storage.delete(FIRING_KEY);
      await this.#sender.send(
        cluster,
        [alertOf(cluster, since, now, 'The versions agree again.')],
        now,
      );
    }
  }
}
