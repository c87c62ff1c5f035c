import type { Database } from '../../db/client';
import { findPrincipalByExternalUsername } from '../../db/queries/identities';
import type { IdentityProviderRow } from '../../db/queries/identity-providers';
import type { PasswordIdentityProvider } from '../auth/identity-providers';
import type { Env } from '../env';
import {
  groupMembership,
  mappedGroups,
  membershipUnchanged,
  resolveFederatedUser,
  signInWrites,
} from './mapping';
import { pluginContext, resolveProvider } from './provider-config';

/**
 * A password provider (LDAP) behind `grant_type=password`: group mapping
 * refreshed at each successful sign-in. The lockout is not here: the
 * password grant claims each guess by canonical name before calling any
 * provider, so a locked name never reaches the directory.
 */
export function federatedPasswordProvider(row: IdentityProviderRow): PasswordIdentityProvider {
  return {
    name: row.name,
    async login(db: Database, env: Env, username: string, password: string, now: Date) {
      // Independent reads, side by side: the link with its principal (for
      // the token), and the mapped groups.
      const [known, groups, { plugin, provider }] = await Promise.all([
        findPrincipalByExternalUsername(db, row.id, username),
        mappedGroups(db, row),
        resolveProvider(env, row),
      ]);
      if (!plugin.passwordLogin) return { ok: false, reason: 'invalid_credentials' };
      const check = await plugin.passwordLogin(provider, username, password, pluginContext(env));
      if (!check.ok)
        return known
          ? { ok: false, reason: 'invalid_credentials', user: known.user }
          : { ok: false, reason: 'invalid_credentials' };
      const signedIn = await resolveFederatedUser(db, row, check.identity, known);
      const { user } = signedIn;
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
