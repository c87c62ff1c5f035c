import type { Database } from '../../db/client';
import { findByExternalUsername } from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import { recordFailedLogin, type UserRow } from '../../db/queries/users';
import type { LoginOutcome, PasswordIdentityProvider } from '../auth/identity-providers';
import { settings } from '../config';
import type { Env } from '../env';
import { completeFederatedSignIn, mappedGroups, resolveFederatedUser } from './mapping';
import { pluginContext, resolveProvider } from './provider-config';

const lockedOutcome = (user: UserRow, until: Date, now: Date): LoginOutcome => ({
  ok: false,
  reason: 'locked',
  retryAfterSeconds: Math.ceil((until.getTime() - now.getTime()) / 1000),
  user,
});

const lockedUntil = (user: UserRow, now: Date) =>
  user.lockedUntil && user.lockedUntil.getTime() > now.getTime() ? user.lockedUntil : undefined;

/**
 * A password provider (LDAP) behind `grant_type=password`: the same lockout
 * as local users, applied to the linked account before the provider is even
 * asked, and group mapping refreshed at each successful sign-in.
 */
export function federatedPasswordProvider(row: IdentityProviderRow): PasswordIdentityProvider {
  return {
    name: row.name,
    async login(db: Database, env: Env, username: string, password: string, now: Date) {
      // Independent reads, side by side: the link (for lockout) and the mapped groups.
      const [known, groups, { plugin, provider }] = await Promise.all([
        findByExternalUsername(db, row.id, username),
        mappedGroups(db, row),
        resolveProvider(env, row),
      ]);
      const knownLock = known && lockedUntil(known.user, now);
      if (known && knownLock) return lockedOutcome(known.user, knownLock, now);
      if (!plugin.passwordLogin) return { ok: false, reason: 'invalid_credentials' };
      const check = await plugin.passwordLogin(provider, username, password, pluginContext(env));
      if (!check.ok) {
        if (!known) return { ok: false, reason: 'invalid_credentials' };
        const config = settings(env);
        const until = await recordFailedLogin(db, known.user.id, now, {
          maxFailures: config.loginMaxFailures,
          windowSeconds: config.loginFailureWindowSeconds,
          lockoutSeconds: config.loginLockoutSeconds,
        });
        return until
          ? lockedOutcome(known.user, until, now)
          : { ok: false, reason: 'invalid_credentials', user: known.user };
      }
      const signedIn = await resolveFederatedUser(db, row, check.identity, known);
      const { user } = signedIn;
      const lock = lockedUntil(user, now);
      if (lock) return lockedOutcome(user, lock, now);
      if (user.status !== 'active') return { ok: false, reason: 'disabled', user };
      await completeFederatedSignIn(db, signedIn, check.identity, groups, now);
      return { ok: true, user };
    },
  };
}
