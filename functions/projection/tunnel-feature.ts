import { createDb } from '../../db/client';
import { clusterIdByName } from '../../db/queries/quotas';
import { projectionRows } from '../../db/queries/role-projection';
import type { Env } from '../env';
import { desiredProjection, projectionHash } from './desired';
import type { RoleProjectionFrame, RoleProjectionStatusFrame } from './frames';

/** This feature's keys in the tunnel object's storage. */
const REVISION_KEY = 'projection:revision';
const HASH_KEY = 'projection:hash';
const STATUS_KEY = 'projection:status';

export interface ProjectionPush {
  /** False when the projection's hash had not changed (nothing sent). */
  pushed: boolean;
  hash: string;
  revision: number;
  /** How many agent sockets got the frame. */
  reached: number;
}

/** What the leader last reported, with when. */
export type ProjectionStatus = Omit<RoleProjectionStatusFrame, 'type'> & { at: string };

/**
 * Role projection as a feature of a cluster's ClusterTunnel: computes the
 * cluster's desired RoleBindings from D1 and sends them to its agents —
 * to each agent as it says hello (every connect, every leader change), and
 * to all of them when a mutation at the edge changed the content hash. The
 * leading agent reports back how far the cluster matches.
 */
export class RoleProjectionFeature {
  readonly #env: Env;
  readonly #storage: DurableObjectStorage;
  /**
   * Pushes run one after another: a push computed from older rows must never
   * be sent after (or numbered above) one computed from newer rows.
   */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(env: Env, storage: DurableObjectStorage) {
    this.#env = env;
    this.#storage = storage;
  }

  /**
   * Computes the projection and sends it through `send` (returns how many
   * sockets it reached). Without `force` nothing is sent when the hash is
   * the one last pushed; a hello always gets the projection.
   */
  push(
    clusterName: string,
    send: (frame: RoleProjectionFrame) => number,
    options: { force?: boolean } = {},
  ): Promise<ProjectionPush | undefined> {
    const run = this.#queue.then(() => this.#push(clusterName, send, options));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #push(
    clusterName: string,
    send: (frame: RoleProjectionFrame) => number,
    options: { force?: boolean },
  ): Promise<ProjectionPush | undefined> {
    const db = createDb(this.#env.DB);
    const clusterId = clusterName ? await clusterIdByName(db, clusterName) : undefined;
    if (!clusterId) return undefined;
    const projection = desiredProjection(await projectionRows(db, clusterId));
    const hash = await projectionHash(projection);
    const previous = await this.#storage.get<string>(HASH_KEY);
    const current = (await this.#storage.get<number>(REVISION_KEY)) ?? 0;
    if (!options.force && previous === hash)
      return { pushed: false, hash, revision: current, reached: 0 };
    const revision = previous === hash ? current : current + 1;
    if (revision !== current)
      await this.#storage.put({ [REVISION_KEY]: revision, [HASH_KEY]: hash });
    const reached = send({ type: 'role-projection', revision, hash, ...projection });
    return { pushed: true, hash, revision, reached };
  }

  /** The leader's report on how far the cluster matches. */
  async onStatus(frame: RoleProjectionStatusFrame, now = new Date()): Promise<void> {
    const { type: _type, ...status } = frame;
    await this.#storage.put<ProjectionStatus>(STATUS_KEY, { ...status, at: now.toISOString() });
  }

  /** The last pushed hash and the leader's last report. */
  async status(): Promise<{
    hash: string | null;
    revision: number;
    agent: ProjectionStatus | null;
  }> {
    return {
      hash: (await this.#storage.get<string>(HASH_KEY)) ?? null,
      revision: (await this.#storage.get<number>(REVISION_KEY)) ?? 0,
      agent: (await this.#storage.get<ProjectionStatus>(STATUS_KEY)) ?? null,
    };
  }
}
