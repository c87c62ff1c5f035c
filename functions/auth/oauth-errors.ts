import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from '../env';

/** RFC 6749 §5.2 error codes (and RFC 6750's invalid_token for userinfo). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'unsupported_token_type';

export interface OAuthErrorBody {
  error: OAuthErrorCode;
  error_description: string;
  /** The app-wide error shape's fields, so every client can read every error. */
  code: OAuthErrorCode;
  message: string;
  requestId: string;
}

/** The body of an OAuth error: RFC 6749 fields plus the app's `{code, message, requestId}`. */
export function oauthErrorBody(
  c: Context<AppEnv>,
  error: OAuthErrorCode,
  description: string,
): OAuthErrorBody {
  return {
    error,
    error_description: description,
    code: error,
    message: description,
    requestId: c.get('requestId') ?? '',
  };
}

/** An OAuth error response (never cached). */
export function oauthError(
  c: Context<AppEnv>,
  status: ContentfulStatusCode,
  error: OAuthErrorCode,
  description: string,
  headers: Record<string, string> = {},
): Response {
  const response = c.json(oauthErrorBody(c, error, description), status);
  response.headers.set('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}
