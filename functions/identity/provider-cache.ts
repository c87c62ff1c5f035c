import type { Database } from '../../db/client';
import {
  findIdentityProvider,
  type IdentityProviderRow,
} from '../../db/queries/identity-providers';

/**
 * Provider rows, cached per isolate for a few seconds: a sign-in reads its
 * provider on every request, and the row changes rarely. Changes made
 * through this isolate apply at once (`forgetProvider`); other isolates see
 * them within TTL_MS. Keyed by the D1 binding, so two databases never mix.
 */
const TTL_MS = 10_000;
const caches = new WeakMap<
  object,
  Map<string, { row: IdentityProviderRow | undefined; expires: number }>
>();

function cacheOf(binding: object) {
  let cache = caches.get(binding);
  if (!cache) {
    cache = new Map();
    caches.set(binding, cache);
  }
  return cache;
}

export async function cachedProvider(
  db: Database,
  binding: object,
  name: string,
): Promise<IdentityProviderRow | undefined> {
  const cache = cacheOf(binding);
  const hit = cache.get(name);
  if (hit && hit.expires > Date.now()) return hit.row;
  const row = await findIdentityProvider(db, name);
  if (row) cache.set(name, { row, expires: Date.now() + TTL_MS });
  return row;
}

export function forgetProvider(binding: object, name: string): void {
  caches.get(binding)?.delete(name);
}
