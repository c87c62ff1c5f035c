import type { Database } from '../../db/client';
import { findPrincipalByExternalUsername } from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import { recordFailedLogin, type UserRow } from '../../db/queries/users';
import type { LoginOutcome, PasswordIdentityProvider } from '../auth/identity-providers';
import { settings } from '../config';
import type { Env } from '../env';
import {
  groupMembership,
  mappedGroups,
  membershipUnchanged,
  resolveFederatedUser,
  signInWrites,
} from './mapping';
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
      // Independent reads, side by side: the link (for lockout) with its
      // principal (for the token), and the mapped groups.
      const [known, groups, { plugin, provider }] = await Promise.all([
        findPrincipalByExternalUsername(db, row.id, username),
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
      const membership = groupMembership(check.identity, groups);
      const writes = signInWrites(db, signedIn, check.identity, membership, now);
      // The principal read before the bind is the token's when it is this
      // identity's and the mapping changes no membership: the sign-in's writes
      // then join the token's one batch. Otherwise they are written now, and
      // the token reads the principal after them.
      if (
        known?.identity.id === signedIn.identityId &&
        membershipUnchanged(known.groupIds, membership)
      )
        return { ok: true, user, loaded: known.loaded, writes };
      const [first, ...rest] = writes;
      await db.batch([first, ...rest]);
      return { ok: true, user };
    },
  };
}
