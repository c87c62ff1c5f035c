import type { Database } from '../../db/client';
import {
  findUserByName,
  recordFailedLogin,
  recordSuccessfulLogin,
  type UserRow,
} from '../../db/queries/users';
import { settings } from '../config';
import type { Env } from '../env';
import { verifyAgainstDummy, verifyPassword } from './password';

export type LoginOutcome =
  | { ok: true; user: UserRow }
  | { ok: false; reason: 'invalid_credentials' | 'disabled'; user?: UserRow }
  | { ok: false; reason: 'locked'; retryAfterSeconds: number; user: UserRow };

/**
 * The seam for identity providers behind `grant_type=password&idp=<name>`.
 * Only `local` (edgetower's own users) exists now; LDAP and other password
 * providers plug in here by mapping their identity to a local user row.
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
  async login(db, env, username, password, now) {
    const user = await findUserByName(db, username);
    if (!user?.passwordHash) {
      await verifyAgainstDummy(password); // same time as a real check
      return { ok: false, reason: 'invalid_credentials' };
    }
    if (user.lockedUntil && user.lockedUntil.getTime() > now.getTime()) {
      const retryAfterSeconds = Math.ceil((user.lockedUntil.getTime() - now.getTime()) / 1000);
      return { ok: false, reason: 'locked', retryAfterSeconds, user };
    }
    if (!(await verifyPassword(password, user.passwordHash))) {
      const config = settings(env);
      const lockedUntil = await recordFailedLogin(db, user.id, now, {
        maxFailures: config.loginMaxFailures,
        windowSeconds: config.loginFailureWindowSeconds,
        lockoutSeconds: config.loginLockoutSeconds,
      });
      if (lockedUntil) {
        const retryAfterSeconds = Math.ceil((lockedUntil.getTime() - now.getTime()) / 1000);
        return { ok: false, reason: 'locked', retryAfterSeconds, user };
      }
      return { ok: false, reason: 'invalid_credentials', user };
    }
    if (user.status !== 'active') return { ok: false, reason: 'disabled', user };
    await recordSuccessfulLogin(db, user.id, now);
    return { ok: true, user };
  },
};

const providers = new Map<string, PasswordIdentityProvider>([['local', localIdentityProvider]]);

/** The provider named by the token request's `idp` parameter (default `local`). */
export async function findPasswordProvider(
  _db: Database,
  name: string,
): Promise<PasswordIdentityProvider | undefined> {
  return providers.get(name);
}
