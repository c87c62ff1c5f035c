import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { AppEnv } from './env';
import { ApiError, type ErrorBody } from './errors';
import { log } from './log';

/*
 * The app's error handlers, apart from errors.ts so that the error values
 * (imported by every layer) do not depend on the app's environment type.
 */

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = {
    code: error.code,
    message: error.message,
    requestId: c.get('requestId') ?? '',
  };
  if (error.fields) body.fields = error.fields;
  const response = c.json(body, error.status as ContentfulStatusCode);
  for (const [name, value] of Object.entries(error.headers ?? {}))
    response.headers.set(name, value);
  return response;
}

/** The app's one error handler: every failure leaves in the same JSON shape. */
export function onError(err: Error, c: Context<AppEnv>): Response {
  if (err instanceof ApiError) return errorResponse(c, err);
  if (err instanceof HTTPException) {
    // Hono's own (malformed JSON, body limit, ...): keep the status, use our shape.
    const status = err.status as ContentfulStatusCode;
    const message = err.message || (status === 400 ? 'Malformed request.' : 'Request failed.');
    return errorResponse(c, new ApiError(status, message));
  }
  log.error('unhandled', { requestId: c.get('requestId'), error: String(err), stack: err.stack });
  return errorResponse(
    c,
    new ApiError(500, 'Internal error; quote the request id when reporting it.'),
  );
}

export function onNotFound(c: Context<AppEnv>): Response {
  return errorResponse(
    c,
    new ApiError(404, `No route for ${c.req.method} ${new URL(c.req.url).pathname}.`),
  );
}
