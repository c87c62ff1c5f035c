import type { Context } from 'hono';
import type { UserRow } from '../../../db/queries/users';
import type { PolicyRule } from '../../../db/schema/roles';
import { accountLocked, claimGuess } from '../../auth/login-throttle';
import { verifyPassword } from '../../auth/password';
import type { Principal } from '../../auth/principal';
import { scopesAllow } from '../../auth/token-scopes';
import type { AppEnv } from '../../env';
import { ApiError } from '../../errors';
import { can, platformScope, ruleAllows } from '../authorize';

/** What everyone may do to their own user record, whatever their roles. */
const selfRules: PolicyRule[] = [{ verbs: ['get', 'list', 'update'], resources: ['users'] }];

/**
 * Whether the caller may `verb` their own user record: their roles (as for
 * anyone's record) or the self rules, either way narrowed by API-token
 * scopes exactly as can() narrows everything else: a token scoped to
 * `create:alerts` cannot read or change its owner.
 */
export function canSelf(principal: Principal, verb: string): boolean {
  return (
    can(principal, verb, 'users', platformScope) ||
    (scopesAllow(principal.scopes, verb, 'users') && ruleAllows(selfRules, verb, 'users'))
  );
}

/**
 * Changing your own password needs the current one, checked as a login is:
 * the guess is claimed against your name's lockout budget first, so a stolen
 * session or token cannot brute-force it. An account without a local
 * password (federated only) cannot give itself one: that would add a second
 * way in that its provider knows nothing of.
 */
export async function checkCurrentPassword(
  c: Context<AppEnv>,
  user: UserRow,
  currentPassword: string | undefined,
): Promise<void> {
  if (!user.passwordHash)
    throw new ApiError(
      409,
      'This account signs in through an identity provider and has no local password; a platform admin or users-manager can set one.',
      { code: 'no_local_password' },
    );
  if (!currentPassword)
    throw new ApiError(400, 'Changing your own password needs currentPassword.', {
      code: 'current_password_required',
      fields: [{ path: 'currentPassword', message: 'required to change your own password' }],
    });
  const now = new Date();
  const claim = await claimGuess(c.get('db'), c.env, user.name, now);
  if (!claim.ok) throw accountLocked(claim.lockedUntil, now);
  if (await verifyPassword(currentPassword, user.passwordHash)) return;
  if (claim.lockedUntil) throw accountLocked(claim.lockedUntil, now);
  throw new ApiError(403, 'currentPassword is not the current password.', {
    code: 'current_password_invalid',
  });
}
