import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ApiError } from '../errors';
import type { ApiAnswer } from './api-client';

/** The API's own message for a failed in-process call (its error shape), else a generic one. */
export function messageOf(answer: ApiAnswer<unknown>): string {
  const body = answer.body as { message?: unknown } | null;
  return typeof body?.message === 'string' ? body.message : `Request failed (${answer.status}).`;
}

/** Rethrows a failed API answer as the same error, so the page shows its status and message. */
export function orThrow<T>(answer: ApiAnswer<T>): T {
  if (answer.ok) return answer.body;
  const body = answer.body as { code?: unknown } | null;
  throw new ApiError(answer.status as ContentfulStatusCode, messageOf(answer), {
    code: typeof body?.code === 'string' ? body.code : undefined,
  } as { code?: string });
}

/** Status of a failed call as a page status (never 2xx or 5xx for a refused form). */
export const formStatus = (answer: ApiAnswer<unknown>) =>
  (answer.status >= 400 && answer.status < 500 ? answer.status : 502) as ContentfulStatusCode;
