import type { MiddlewareHandler } from 'hono';
import { readCookie } from './cookies';
import { i18nFor, negotiateLocale } from './i18n';
import type { UiEnv } from './ui-env';

/** The request's language: the remembered choice, else the browser's Accept-Language. */
export const locale: MiddlewareHandler<UiEnv> = async function locale(c, next) {
  c.set('i18n', i18nFor(negotiateLocale(readCookie(c, 'lang'), c.req.header('accept-language'))));
  await next();
};
