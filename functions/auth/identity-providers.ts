import type { Database } from '../../db/client';
import { listIdentityProvidersOfType } from '../../db/queries/identity-providers';
import { findUserByName, recordSuccessfulLogin } from '../../db/queries/users';
import { verifyAgainstDummy, verifyPassword } from '../../lib/crypto/password';
import type { Env } from '../env';
import { federatedPasswordProvider } from '../identity/password-provider';
import { pluginFor } from '../identity/plugins';
import { cachedProvider } from '../identity/provider-cache';
import type { PasswordIdentityProvider } from './password-identity-provider';

export const localIdentityProvider: PasswordIdentityProvider = {
  name: 'local',
  async login(db, _env, username, password, now) {
    const user = await findUserByName(db, username);
    if (!user?.passwordHash) {
      await verifyAgainstDummy(password); // same time as a real check
      return { ok: false, reason: 'invalid_credentials' };
    }
    if (!(await verifyPassword(password, user.passwordHash)))
      return { ok: false, reason: 'invalid_credentials', user };
    if (user.status !== 'active') return { ok: false, reason: 'disabled', user };
    await recordSuccessfulLogin(db, user.id, now);
    return { ok: true, user };
  },
};

/**
 * Without `idp`: local users first; a name no local password knows is then
 * tried against each LDAP provider in name order (federated users have no
 * local password, so they land here too).
 */
const localThenDirectories: PasswordIdentityProvider = {
  name: 'local',
  async login(db, env, username, password, now) {
    const local = await localIdentityProvider.login(db, env, username, password, now);
    if (local.ok || local.reason !== 'invalid_credentials' || local.user) return local;
    for (const row of await listIdentityProvidersOfType(db, 'ldap')) {
      const outcome = await federatedPasswordProvider(row).login(db, env, username, password, now);
      if (outcome.ok || outcome.reason !== 'invalid_credentials' || outcome.user) return outcome;
    }
    return local;
  },
};

/** The provider named by the token request's `idp` parameter (default `local`). */
export async function findPasswordProvider(
  db: Database,
  env: Env,
  name: string,
): Promise<PasswordIdentityProvider | undefined> {
  if (name === 'local') return localThenDirectories;
  const row = await cachedProvider(db, env.DB, name);
  if (!row || !pluginFor(row.type)?.passwordLogin) return undefined;
  return federatedPasswordProvider(row);
}
