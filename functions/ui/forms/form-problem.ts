import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import type { FieldIssue } from '../../errors';
import type { ApiAnswer } from '../api-client';
import { formStatus, messageOf } from '../api-errors';
import type { UiEnv } from '../ui-env';

/**
 * Why a form was not saved, shown next to that form (never a 500): the
 * dashboard's own validation, or the API's refusal with its status.
 */
export interface FormProblem {
  /** Which form on the page it belongs to. */
  form: string;
  /**
   * Who refused: the form's own check (every issue worded by the page) or
   * the API (its own words kept small beside the translated ones).
   */
  source: 'form' | 'api';
  status: ContentfulStatusCode;
  message: string;
  fields: FormIssue[];
  /** What was typed, to fill the form again (never secrets). */
  values: Record<string, string>;
}

/**
 * A field's issue, with what the page needs to word it in the user's
 * language: `kind` (required, too long, a known rule or invalid) and the
 * field's name, which the page turns into the label the user sees.
 */
export interface FormIssue extends FieldIssue {
  kind:
    | 'required'
    | 'tooLong'
    | 'jsonObject'
    | 'chooseChannel'
    | 'matcher'
    | 'number'
    | 'currency'
    | 'dateTime'
    | 'invalid';
  /** The offending part, for messages that quote it (a matcher). */
  value?: string;
}

/** Our own form schemas' rules, by their (English, stable) messages. */
function kindOf(issue: z.core.$ZodIssue): Pick<FormIssue, 'kind' | 'value'> {
  if (issue.code === 'too_small')
    return { kind: issue.message.includes('channel') ? 'chooseChannel' : 'required' };
  if (issue.code === 'too_big') return { kind: 'tooLong' };
  if (issue.code === 'invalid_type' && issue.input === undefined) return { kind: 'required' };
  if (issue.code === 'custom' && issue.message.startsWith('must be a JSON object'))
    return { kind: 'jsonObject' };
  if (issue.code === 'custom' && issue.message.startsWith('"'))
    return { kind: 'matcher', value: /^"(.*)" is not/.exec(issue.message)?.[1] ?? '' };
  if (issue.message === 'a number like 0.05') return { kind: 'number' };
  if (issue.message === 'three letters, like USD') return { kind: 'currency' };
  if (issue.message === 'a date and time') return { kind: 'dateTime' };
  return { kind: 'invalid' };
}

export type FormResult<T> = { ok: true; data: T } | { ok: false; problem: FormProblem };

const plainValues = (body: Record<string, unknown>, keep: readonly string[]) =>
  Object.fromEntries(
    keep.flatMap((k) => (typeof body[k] === 'string' ? [[k, body[k] as string]] : [])),
  );

/** Reads a posted form through `schema`; a misfit becomes a problem for the page, not an error page. */
export async function readForm<T extends z.ZodType>(
  c: Context<UiEnv>,
  form: string,
  schema: T,
  refill: readonly string[],
): Promise<FormResult<z.infer<T>> & { values: Record<string, string> }> {
  // all: checkbox groups (one field per box) arrive as arrays.
  const body = await c.req.parseBody({ all: true });
  const values = plainValues(body, refill);
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, data: result.data, values };
  const fields: FormIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
    ...kindOf(issue),
  }));
  return {
    ok: false,
    values,
    problem: {
      form,
      source: 'form',
      status: 400,
      message: fields.map((f) => `${f.path}: ${f.message}`).join('; '),
      fields,
      values,
    },
  };
}

/** An API refusal of a form's request, as a problem shown next to the form. */
export function apiProblem(
  form: string,
  answer: ApiAnswer<unknown>,
  values: Record<string, string>,
): FormProblem {
  const body = answer.body as { fields?: unknown } | null;
  const fields = Array.isArray(body?.fields)
    ? (body.fields as FieldIssue[])
        .filter((f) => typeof f?.path === 'string' && typeof f?.message === 'string')
        .map((f): FormIssue => ({ ...f, kind: 'invalid' }))
    : [];
  return {
    form,
    source: 'api',
    status: formStatus(answer),
    message: messageOf(answer),
    fields,
    values,
  };
}
