import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';
import { validationError } from '../errors';
import { Page, type Section } from './layout';
import type { UiEnv } from './ui-env';

/** Renders a page in the shell; signed-in pages show the user, navigation and session form. */
export async function renderPage(
  c: Context<UiEnv>,
  options: { title: string; section?: Section; signedIn?: boolean; status?: ContentfulStatusCode },
  body: Child,
): Promise<Response> {
  const session = options.signedIn === false ? undefined : c.get('session');
  const url = new URL(c.req.url);
  const page = (
    <Page
      i18n={c.get('i18n')}
      title={options.title}
      csrf={c.get('csrf')}
      path={`${url.pathname}${url.search}`}
      section={options.section ?? 'none'}
      user={session ? { principal: c.get('principal'), expiresAt: session.expiresAt } : undefined}
    >
      {body}
    </Page>
  );
  return c.html(`<!doctype html>${await page.toString()}`, options.status ?? 200);
}

/** A form's fields validated by `schema`; 400 in the one error shape when they do not fit. */
export async function formInput<T extends z.ZodType>(
  c: Context<UiEnv>,
  schema: T,
): Promise<z.infer<T>> {
  const body = await c.req.parseBody();
  const result = schema.safeParse(body);
  if (!result.success) throw validationError(result.error, 'form');
  return result.data;
}

/** Path or query parameters validated by `schema`. */
export function paramsInput<T extends z.ZodType>(
  schema: T,
  values: unknown,
  target: 'param' | 'query',
): z.infer<T> {
  const result = schema.safeParse(values);
  if (!result.success) throw validationError(result.error, target);
  return result.data;
}
