import type { Database } from '../../db/client';
import { createUser, hasAnyUser } from '../../db/queries/users';
import { ALREADY_EXISTS } from '../../db/unique';
import { PASSWORD_MIN_LENGTH } from '../../lib/crypto/password';
import type { Env } from '../env';
import { ApiError } from '../errors';

export const BOOTSTRAP_ADMIN = 'admin';

const notBootstrapped = (why: string) => new ApiError(503, why, { code: 'not_bootstrapped' });

/**
 * On an empty users table, creates `admin` (platform-admin) with
 * ADMIN_PASSWORD. Without that secret nothing is created and a 503 says how
 * to set it. Safe to race: a concurrent creator's admin counts as existing.
 */
export async function bootstrapAdmin(db: Database, env: Env): Promise<'exists' | 'created'> {
  if (await hasAnyUser(db)) return 'exists';
  const password = env.ADMIN_PASSWORD ?? '';
  if (!password)
    throw notBootstrapped(
      'No users exist yet and ADMIN_PASSWORD is not set: set ADMIN_PASSWORD (wrangler secret put ADMIN_PASSWORD, or .dev.vars locally) and retry; user "admin" is then created with it.',
    );
  // Only the length rule: the operator chose this secret, and "admin-..." is a common pattern.
  if (password.length < PASSWORD_MIN_LENGTH)
    throw notBootstrapped(
      `ADMIN_PASSWORD must be at least ${PASSWORD_MIN_LENGTH} characters: set a longer one (wrangler secret put ADMIN_PASSWORD, or .dev.vars locally).`,
    );
  const created = await createUser(db, {
    name: BOOTSTRAP_ADMIN,
    password,
    platformRole: 'platform-admin',
  });
  return created === ALREADY_EXISTS ? 'exists' : 'created';
}

// Once users exist they always will (the last admin cannot be deleted), so
// each isolate checks only until the first success.
let bootstrapped = false;

/** bootstrapAdmin, but at most one successful check per isolate. */
export async function ensureBootstrapped(db: Database, env: Env): Promise<void> {
  if (bootstrapped) return;
  await bootstrapAdmin(db, env);
  bootstrapped = true;
}
