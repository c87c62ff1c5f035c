import type { BatchItem } from 'drizzle-orm/batch';
import type { Database } from '../../db/client';
import { listIdentityProvidersOfType } from '../../db/queries/identity-providers';
import type { LoadedPrincipal } from '../../db/queries/principal';
import { findUserByName, recordSuccessfulLogin, type UserRow } from '../../db/queries/users';
import type { Env } from '../env';
import { federatedPasswordProvider } from '../identity/password-provider';
import { pluginFor } from '../identity/plugins';
import { cachedProvider } from '../identity/provider-cache';
import { verifyAgainstDummy, verifyPassword } from './password';

export type LoginOutcome =
  | {
      ok: true;
      user: UserRow;
      /** The principal, when the provider already read it (the token then needs no read). */
      loaded?: LoadedPrincipal;
      /** The sign-in's writes left to the token issuance's one batch. */
      writes?: readonly BatchItem<'sqlite'>[];
    }
  | { ok: false; reason: 'invalid_credentials' | 'disabled'; user?: UserRow };

/**
 * The seam for identity providers behind `grant_type=password&idp=<name>`:
 * `local` (edgetower's own users) and LDAP providers, which map their
 * identity to a local user row. Providers only judge a password: the
 * lockout is the password grant's, claimed before any provider is called
 * (functions/auth/login-throttle.ts).
 */
export interface PasswordIdentityProvider {
  readonly name: string;
  login(
    db: Database,
    env: Env,
    username: string,
    password: string,
    now: Date,
  ): Promise<LoginOutcome>;
}

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
