import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

/** The machine-readable codes of the one error shape. */
export const errorCodes = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  500: 'internal',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'gateway_timeout',
} as const satisfies Partial<Record<ContentfulStatusCode, string>>;

export interface FieldIssue {
  path: string;
  message: string;
}

export interface ErrorBody {
  code: string;
  message: string;
  requestId: string;
  fields?: FieldIssue[];
}

/**
 * An error a client should see as it is. Throw it anywhere below a route;
 * `onError` renders it in the one error shape.
 */
export class ApiError extends HTTPException {
  readonly code: string;
  readonly fields: FieldIssue[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: ContentfulStatusCode,
    message: string,
    options: {
      code?: string;
      fields?: FieldIssue[];
      headers?: Record<string, string>;
      cause?: unknown;
    } = {},
  ) {
    super(status, { message, cause: options.cause });
    this.code = options.code ?? codeFor(status);
    this.fields = options.fields;
    this.headers = options.headers;
  }
}

export const badRequest = (message: string, fields?: FieldIssue[]) =>
  new ApiError(400, message, { code: fields ? 'validation_failed' : 'bad_request', fields });
export const unauthorized = (
  message = 'Authentication required: send Authorization: Bearer <token>.',
) => new ApiError(401, message, { headers: { 'WWW-Authenticate': 'Bearer' } });
export const forbidden = (message = 'You are not allowed to do this.') =>
  new ApiError(403, message);
export const notFound = (what: string) => new ApiError(404, `${what} not found.`);
export const conflict = (message: string) => new ApiError(409, message);

function codeFor(status: number): string {
  return (errorCodes as Record<number, string>)[status] ?? (status >= 500 ? 'internal' : 'error');
}

export function zodIssues(error: ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

const targetNames: Record<string, string> = {
  json: 'request body',
  form: 'form body',
  query: 'query parameters',
  param: 'path parameters',
  header: 'headers',
  cookie: 'cookies',
};

export function validationError(error: ZodError, target: string): ApiError {
  const fields = zodIssues(error);
  const summary = fields.map((f) => `${f.path}: ${f.message}`).join('; ');
  return badRequest(`Invalid ${targetNames[target] ?? target}: ${summary}`, fields);
}
