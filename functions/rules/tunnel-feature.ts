import { createDb } from '../../db/client';
import type { RuleEvaluation, RulesHealthFrame, RulesSyncFrame } from '../../protocol/rules';
import type { BaseEnv } from '../bindings';
import { compileForClusterId } from './compile';

/** This feature's keys in the tunnel object's storage. */
const HASH_KEY = 'rules:hash';
const HEALTH_IDS_KEY = 'rules:health-ids';
const HEALTH_PREFIX = 'rules:health:';
/** Durable Object storage takes at most 128 keys per get/put/delete. */
const KEYS_PER_CALL = 128;

/** One rule's last evaluation as the edge keeps it: with the hash it was for and when it came. */
export type StoredEvaluation = RuleEvaluation & { hash: string; receivedAt: string };

export interface RulesPush {
  pushed: boolean;
  hash: string;
  rules: number;
  reached: number;
}

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += KEYS_PER_CALL) out.push(items.slice(i, i + KEYS_PER_CALL));
  return out;
}

/**
 * Alerting rules as a feature of a cluster's ClusterTunnel: compiles what
 * the cluster evaluates (compile.ts) and sends it whole as `rules-sync` —
 * to each agent on hello (every agent, so a new leader has them at once),
 * and to all agents when an edit changed the content hash. Keeps the
 * leader's `rules-health` per rule id in the object's storage for the API.
 */
export class RulesFeature {
  readonly #env: BaseEnv;
  readonly #storage: DurableObjectStorage;
  /** Pushes run one after another: a set compiled from older rows is never sent after a newer one. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(env: BaseEnv, storage: DurableObjectStorage) {
    this.#env = env;
    this.#storage = storage;
  }

  /** Compiles and sends; without `force` nothing goes out when the hash is the last one sent. */
  push(
    clusterId: string,
    send: (frame: RulesSyncFrame) => number,
    options: { force?: boolean } = {},
  ): Promise<RulesPush | undefined> {
    const run = this.#queue.then(async (): Promise<RulesPush | undefined> => {
      if (!clusterId) return undefined;
      const frame = await compileForClusterId(createDb(this.#env.DB), clusterId);
      if (!frame) return undefined;
      const rules = frame.groups.reduce((n, g) => n + g.rules.length, 0);
      const previous = await this.#storage.get<string>(HASH_KEY);
      if (!options.force && previous === frame.hash)
        return { pushed: false, hash: frame.hash, rules, reached: 0 };
      if (previous !== frame.hash) await this.#storage.put(HASH_KEY, frame.hash);
      return { pushed: true, hash: frame.hash, rules, reached: send(frame) };
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The leader's report: replaces every rule's stored evaluation. */
  async onHealth(frame: RulesHealthFrame, now = new Date()): Promise<void> {
    const receivedAt = now.toISOString();
    const ids = frame.rules.map((r) => r.id);
    const before = (await this.#storage.get<string[]>(HEALTH_IDS_KEY)) ?? [];
    const keep = new Set(ids);
    for (const gone of chunks(before.filter((id) => !keep.has(id))))
      await this.#storage.delete(gone.map((id) => HEALTH_PREFIX + id));
    for (const part of chunks(frame.rules)) {
      const entries: Record<string, StoredEvaluation> = {};
      for (const rule of part)
        entries[HEALTH_PREFIX + rule.id] = { ...rule, hash: frame.hash, receivedAt };
      await this.#storage.put(entries);
    }
    await this.#storage.put(HEALTH_IDS_KEY, ids);
  }

  /** Stored evaluations of `ids` (all of them without), by rule id. */
  async health(ids?: string[]): Promise<Record<string, StoredEvaluation>> {
    const wanted = ids ?? (await this.#storage.get<string[]>(HEALTH_IDS_KEY)) ?? [];
    const out: Record<string, StoredEvaluation> = {};
    for (const part of chunks([...new Set(wanted)])) {
      const found = await this.#storage.get<StoredEvaluation>(part.map((id) => HEALTH_PREFIX + id));
      for (const [key, value] of found) out[key.slice(HEALTH_PREFIX.length)] = value;
    }
    return out;
  }

  /** The hash last sent to the agents. */
  async hash(): Promise<string | null> {
    return (await this.#storage.get<string>(HASH_KEY)) ?? null;
  }
}
