import { Hono } from 'hono';
import { z } from 'zod';
import { recordAuditEvent } from '../../db/queries/audit';
import { settings } from '../settings';
import { callApi } from './api-client';
import { writeCookie } from './cookies';
import { locales } from './i18n';
import { SignInBody, type SignInProvider } from './pages/sign-in';
import { formInput, paramsInput, renderPage } from './render';
import { endSession, requireSession, safeNext, startSession } from './session';
import type { ApiFetch, UiEnv } from './ui-env';

const YEAR = 365 * 86400;

const signInForm = z.object({
  username: z.string().trim().min(1).max(256),
  password: z.string().min(1).max(1024),
  idp: z
    .string()
    .max(63)
    .regex(/^[a-z0-9-]+$/)
    .default('local'),
  next: z.string().max(2048).optional(),
});
const nextForm = z.object({ next: z.string().max(2048).optional() });
const langForm = z.object({ lang: z.enum(locales), next: z.string().max(2048).optional() });
const signInQuery = z.object({
  next: z.string().max(2048).optional(),
  // A provider sign-in sent the browser back refused: its error code, worded by the page.
  failed: z
    .string()
    .max(64)
    .regex(/^[a-z_]+$/)
    .optional(),
});

interface TokenReply {
  refresh_token?: string;
  error_description?: string;
}

async function providers(c: Parameters<typeof callApi>[0], api: ApiFetch) {
  const answer = await callApi<{ items: SignInProvider[] }>(c, api, '/oauth/providers', {
    as: 'anonymous',
  });
  return answer.ok ? answer.body.items : [];
}

/** Sign-in, sign-out, session refresh and the language choice. */
export function uiAuthRoutes(api: ApiFetch) {
  return new Hono<UiEnv>()
    .get('/ui/sign-in', async (c) => {
      const { next, failed } = paramsInput(signInQuery, c.req.query(), 'query');
      const { t } = c.get('i18n');
      return renderPage(
        c,
        { title: t('signIn.title'), signedIn: false },
        <SignInBody
          i18n={c.get('i18n')}
          csrf={c.get('csrf')}
          next={safeNext(next)}
          providers={await providers(c, api)}
          {...(failed ? { error: t('signIn.providerFailed', { code: failed }) } : {})}
        />,
      );
    })
    .post('/ui/sign-in', async (c) => {
      const input = await formInput(c, signInForm);
      // The token endpoint does the rest: providers, lockout, the login audit event.
      const answer = await callApi<TokenReply>(c, api, '/oauth/token', {
        method: 'POST',
        as: 'anonymous',
        form: {
          grant_type: 'password',
          username: input.username,
          password: input.password,
          idp: input.idp,
        },
      });
      const next = safeNext(input.next);
      if (answer.ok && answer.body.refresh_token) {
        startSession(c, answer.body.refresh_token, settings(c.env).refreshTokenTtlSeconds);
        return c.redirect(next, 303);
      }
      return renderPage(
        c,
        {
          title: c.get('i18n').t('signIn.title'),
          signedIn: false,
          status: answer.status === 429 ? 429 : 400,
        },
        <SignInBody
          i18n={c.get('i18n')}
          csrf={c.get('csrf')}
          next={next}
          providers={await providers(c, api)}
          error={answer.body.error_description ?? 'Sign-in failed.'}
          username={input.username}
        />,
      );
    })
    .post('/ui/lang', async (c) => {
      const input = await formInput(c, langForm);
      writeCookie(c, 'lang', input.lang, { maxAgeSeconds: YEAR });
      const next = input.next?.startsWith('/ui/sign-in') ? '/ui/sign-in' : safeNext(input.next);
      return c.redirect(next, 303);
    })
    .post('/ui/sign-out', requireSession, async (c) => {
      const session = c.get('session');
      await callApi(c, api, '/oauth/revoke', {
        method: 'POST',
        as: 'anonymous',
        form: { token: session.token },
      });
      await recordAuditEvent(c.get('db'), {
        time: new Date(),
        user: c.get('principal').username,
        verb: 'logout',
        resource: 'sessions',
        name: c.get('principal').username,
        outcome: 'success',
        status: 303,
        requestId: c.get('requestId'),
        sourceIp: c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? null,
        userAgent: c.req.header('user-agent')?.slice(0, 256) ?? null,
      });
      endSession(c);
      return c.redirect('/ui/sign-in', 303);
    })
    .post('/ui/session/refresh', requireSession, async (c) => {
      const input = await formInput(c, nextForm);
      // Rotation: the old reference stops working, the new one lives a full TTL.
      const answer = await callApi<TokenReply>(c, api, '/oauth/token', {
        method: 'POST',
        as: 'anonymous',
        form: { grant_type: 'refresh_token', refresh_token: c.get('session').token },
      });
      if (!answer.ok || !answer.body.refresh_token) {
        endSession(c);
        return c.redirect('/ui/sign-in', 303);
      }
      startSession(c, answer.body.refresh_token, settings(c.env).refreshTokenTtlSeconds);
      return c.redirect(safeNext(input.next), 303);
    });
}
