import { ApiError } from '../errors';

/**
 * A provider could not be used (unreachable, misconfigured, bad answer).
 * The message names the provider and the step and never carries secrets.
 */
export function providerFailure(provider: string, what: string, cause?: unknown): ApiError {
  return new ApiError(502, `Identity provider "${provider}": ${what}.`, {
    code: 'identity_provider_failed',
    cause,
  });
}

/** The external identity is valid but maps to no edgetower account the method allows. */
export function notLinked(provider: string): ApiError {
  return new ApiError(
    403,
    `No edgetower account is linked to this "${provider}" identity; ask a platform admin to link it.`,
    {
      code: 'identity_not_linked',
    },
  );
}

/**
 * A `mixed` provider's newcomer whose edgetower name is already taken: never
 * linked by name (that would hand the account to whoever the provider calls
 * by it), never given a confusable look-alike name either.
 */
export function nameTaken(provider: string, name: string): ApiError {
  return new ApiError(
    409,
    `An edgetower account named "${name}" already exists, and "${provider}" links identities to existing accounts only on request: if the account is yours, sign in to it and link this identity, or ask a platform admin to link it.`,
    { code: 'identity_name_taken' },
  );
}
