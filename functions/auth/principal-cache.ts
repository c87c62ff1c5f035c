import type { Database } from '../../db/client';
import { type LoadedPrincipal, loadPrincipal } from '../../db/queries/principal';

/**
 * A per-isolate cache of loaded principals, so an authenticated request does
 * not pay a D1 round trip before its own queries. Entries live a few
 * seconds: a user disabled or a binding changed through another isolate
 * takes effect within PRINCIPAL_CACHE_MS; every mutating API request through
 * this isolate clears the cache, so its own changes apply at once.
 */
export const PRINCIPAL_CACHE_MS = 5_000;
const MAX_ENTRIES = 1_000;

const entries = new Map<string, { loaded: LoadedPrincipal; at: number }>();

export async function cachedPrincipal(
  db: Database,
  userId: string,
): Promise<LoadedPrincipal | undefined> {
  const now = Date.now();
  const hit = entries.get(userId);
  if (hit && now - hit.at < PRINCIPAL_CACHE_MS && now >= hit.at) return hit.loaded;
  const loaded = await loadPrincipal(db, userId);
  entries.delete(userId);
  if (loaded) {
    entries.set(userId, { loaded, at: now });
    // Maps iterate in insertion order: the first key is the least recently loaded.
    if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value ?? '');
  }
  return loaded;
}

/** Drops every cached principal (after a mutation, or a test's direct database write). */
export function forgetPrincipals(): void {
  entries.clear();
}
