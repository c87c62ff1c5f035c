import type { Context } from 'hono';
import { consumeLoginCode } from '../../db/queries/identity-login-codes';
import { findUserById } from '../../db/queries/users';
import { oauthError } from '../auth/oauth-errors';
import { auditLogin, issueTokens, type TokenRequestOptions } from '../auth/oauth-grants';
import type { AppEnv } from '../env';
import { s256Challenge } from './oidc/pkce';

/**
 * grant_type=authorization_code: a CLI exchanges the one-time code a
 * browser sign-in sent to its loopback redirect_uri; same redirect_uri, and
 * the PKCE verifier when it sent a challenge.
 */
export async function authorizationCodeGrant(
  c: Context<AppEnv>,
  input: TokenRequestOptions & {
    code?: string | undefined;
    redirect_uri?: string | undefined;
    code_verifier?: string | undefined;
  },
) {
  if (!input.code || !input.redirect_uri)
    return oauthError(
      c,
      400,
      'invalid_request',
      'grant_type=authorization_code needs code and redirect_uri.',
    );
  const db = c.get('db');
  const row = await consumeLoginCode(db, input.code, new Date());
  const invalid = () =>
    oauthError(c, 400, 'invalid_grant', 'The code is invalid, expired or already used.');
  if (!row || row.redirectUri !== new URL(input.redirect_uri).href) return invalid();
  if (
    row.codeChallenge &&
    (!input.code_verifier || (await s256Challenge(input.code_verifier)) !== row.codeChallenge)
  )
    return oauthError(c, 400, 'invalid_grant', 'code_verifier does not match the code_challenge.');
  const tokens = await issueTokens(c, row.userId, input);
  if (!tokens) return oauthError(c, 400, 'invalid_grant', 'This account is disabled.');
  const user = await findUserById(db, row.userId);
  await auditLogin(c, user?.name ?? row.userId, 'success', 200, 'authorization-code');
  return c.json(tokens, 200);
}
