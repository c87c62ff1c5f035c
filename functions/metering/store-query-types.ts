/**
 * What the API asks a MeteringStore and what it answers: plain data, so it
 * crosses Workers RPC unchanged. Quantities are in stored units
 * (core-seconds, byte-seconds, bytes); the API converts to hours and GiB.
 */
export const dimensions = ['node', 'workspace', 'namespace', 'workload', 'pod'] as const;
export type Dimension = (typeof dimensions)[number];

/** Dimensions of one group, as grouped (a workload also carries its kind). */
export type GroupKey = Partial<Record<Dimension | 'workloadKind', string>>;

/** A workspace or namespace label and the time (unix seconds) its facts count from. */
export interface Since {
  name: string;
  since: number;
}

export interface StoreQuery {
  /** Dimensions to group by; empty: the whole cluster as one group. */
  groupBy: (Dimension | 'workloadKind')[];
  filter: Partial<Record<Dimension, string>>;
  /**
   * Tenant scope: only series of these workspaces or namespaces (absent:
   * all), each from its `since` on — the workspace's or placement's
   * creation, so a workspace re-created under an old name never reads its
   * predecessor's facts (issue #12, attack 7).
   */
  tenant?: { workspaces: Since[]; namespaces: Since[] };
  /** Series of these workspace labels count only from `since` on (a named workspace's reads). */
  workspaceSince?: Since[];
  /** No facts before this time count (a legacy store: facts before the cluster's registration). */
  since?: number;
  /** Unix seconds, [start, end). */
  start: number;
  end: number;
  /** Bucket length in seconds (a multiple of 60); null: one total per group. */
  step: number | null;
  /** Unix seconds where a new price takes effect inside the range (whole hours). */
  priceChanges: number[];
  /** Refuse (rather than hold in memory) answers with more group × bucket cells. */
  maxCells: number;
}

/**
 * cpu core-seconds, memory byte-seconds, rx bytes, tx bytes, pvc byte-seconds
 * (five numbers; a plain array because tuples do not survive RPC typing).
 */
export type Quantities = number[];

export interface StoreGroup {
  key: GroupKey;
  /**
   * Sparse, ascending; bucket index × step is the bucket's start. A bucket
   * a price change cuts through comes once per price period, so fees per
   * bucket stay exact.
   */
  buckets: { index: number; period: number; quantities: Quantities }[];
  /** Quantities per price period: index 0 before the first price change, and so on. */
  periods: Quantities[];
}

export type StoreAnswer =
  | { ok: true; start: number; end: number; groups: StoreGroup[] }
  | { ok: false; reason: 'too_fine' | 'too_many'; message: string };
