/**
 * What one tenant may make every listing and flush pay for. Each listing
 * walks every live alert of the shards it reads and checks it against every
 * active silence that can match it, so both are bounded.
 */

/**
 * Live (not yet resolved) alerts one cluster's shard keeps at most. Beyond
 * it, new alerts are refused; alerts the shard already holds are always
 * refreshed and resolved, and the edge's own rules are never refused.
 */
export const MAX_LIVE_ALERTS_PER_SHARD = 10_000;

/**
 * Active (not expired) silences per tenant: the platform, a cluster (its
 * cluster-level silences) or a workspace (the silences pinned to its
 * namespaces). Pending silences count too: they become active by themselves.
 */
export const MAX_ACTIVE_SILENCES_PER_TENANT = 1000;
