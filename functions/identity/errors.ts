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
