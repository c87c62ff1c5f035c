import type { Database } from '../../db/client';
import { findUserByExternalUsername } from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import { recordFailedLogin, recordSuccessfulLogin, type UserRow } from '../../db/queries/users';
import type { LoginOutcome, PasswordIdentityProvider } from '../auth/identity-providers';
import { settings } from '../config';
import type { Env } from '../env';
import { resolveFederatedUser, syncMappedGroups } from './mapping';
import { pluginContext, resolveProvider } from './provider-config';

const lockedOutcome = (user: UserRow, until: Date, now: Date): LoginOutcome => ({
  ok: false,
  reason: 'locked',
  retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
  user,
});

const isLocked = (user: UserRow, now: Date) =>
  user.lockedUntil !== null && user.lockedUntil.getTime() > now.getTime();

/**
 * A password provider (LDAP) behind `grant_type=password`: the same lockout
 * as local users, applied to the linked account before the provider is even
 * asked, and group mapping refreshed at each successful sign-in.
 */
export function federatedPasswordProvider(row: IdentityProviderRow): PasswordIdentityProvider {
  return {
    name: row.name,
    async login(db: Database, env: Env, username: string, password: string, now: Date) {
      const known = await findUserByExternalUsername(db, row.id, username);
      if (known?.lockedUntil && isLocked(known, now))
        return lockedOutcome(known, known.lockedUntil, now);
      const { plugin, provider } = await resolveProvider(env, row);
      if (!plugin.passwordLogin) return { ok: false, reason: 'invalid_credentials' };
      const check = await plugin.passwordLogin(provider, username, password, pluginContext(env));
      if (!check.ok) {
        if (!known) return { ok: false, reason: 'invalid_credentials' };
        const config = settings(env);
        const lockedUntil = await recordFailedLogin(db, known.id, now, {
          maxFailures: config.loginMaxFailures,
          windowSeconds: config.loginFailureWindowSeconds,
          lockoutSeconds: config.loginLockoutSeconds,
        });
        return lockedUntil
          ? lockedOutcome(known, lockedUntil, now)
          : { ok: false, reason: 'invalid_credentials', user: known };
      }
      const user = await resolveFederatedUser(db, row, check.identity, now);
      if (user.lockedUntil && isLocked(user, now))
        return lockedOutcome(user, user.lockedUntil, now);
      if (user.status !== 'active') return { ok: false, reason: 'disabled', user };
      await Promise.all([
        syncMappedGroups(db, row, user.id, check.identity),
        recordSuccessfulLogin(db, user.id, now),
      ]);
      return { ok: true, user };
    },
  };
}
