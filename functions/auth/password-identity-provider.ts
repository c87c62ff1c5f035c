import type { BatchItem } from 'drizzle-orm/batch';
import type { Database } from '../../db/client';
import type { LoadedPrincipal } from '../../db/queries/principal';
import type { UserRow } from '../../db/queries/users';
import type { Env } from '../env';

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
