/**
 * Rule errors that carry more than the one error shape's fields: where in
 * the PromQL (`line`, `column`) and, for imports, which group and rule. The
 * rules routers render them with those fields at the top level of the body;
 * every other error goes to the app's one handler unchanged.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { PromqlSyntaxError } from '../../lib/promql';
import type { AppEnv } from '../env';
import { onError } from '../error-handlers';
import { ApiError, type FieldIssue } from '../errors';

export interface ProblemPlace {
  line?: number;
  column?: number;
  /** Import: 0-based index of the group, and of the rule inside it. */
  group?: number;
  rule?: number;
}

export class RuleProblem extends ApiError {
  readonly place: ProblemPlace;

  constructor(code: string, message: string, place: ProblemPlace, fields?: FieldIssue[]) {
    super(400, message, { code, ...(fields ? { fields } : {}) });
    this.place = place;
  }
}

/** A PromQL error of field `field` (`invalid_promql` or `namespace_not_allowed`). */
export function promqlProblem(
  code: 'invalid_promql' | 'namespace_not_allowed',
  error: PromqlSyntaxError,
  field: string,
  where: ProblemPlace = {},
): RuleProblem {
  const at = `line ${error.line}, column ${error.column}`;
  const prefix =
    where.group !== undefined ? `groups[${where.group}].rules[${where.rule ?? 0}]: ` : '';
  return new RuleProblem(
    code,
    `${prefix}${field} ${code === 'invalid_promql' ? 'is not valid PromQL' : 'reads outside its namespace'} at ${at}: ${error.message}.`,
    { ...where, line: error.line, column: error.column },
    [{ path: field, message: error.message }],
  );
}

/** The rules routers' error handler: RuleProblem with its place, the rest as everywhere. */
export function rulesOnError(err: Error, c: Context<AppEnv>): Response {
  if (!(err instanceof RuleProblem)) return onError(err, c);
  return c.json(
    {
      code: err.code,
      message: err.message,
      requestId: c.get('requestId') ?? '',
      ...(err.fields ? { fields: err.fields } : {}),
      ...err.place,
    },
    err.status as ContentfulStatusCode,
  );
}
