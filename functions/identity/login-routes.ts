import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { auditEventInsert } from '../../db/queries/audit';
import { findLinkedPrincipal } from '../../db/queries/identities';
import { loginCodeInsert } from '../../db/queries/identity-login-codes';
import { listIdentityProviders } from '../../db/queries/identity-providers';
import { loginLockedUntil } from '../../db/queries/login-throttles';
import { canonicalLoginName } from '../auth/login-name';
import { accountLocked } from '../auth/login-throttle';
import { auditLogin, issueTokens, loginAuditEvent } from '../auth/oauth-grants';
import { issuerUrl } from '../config';
import { randomToken } from '../crypto/hash';
import type { AppEnv } from '../env';
import { ApiError, badRequest, notFound } from '../errors';
import { dnsLabel } from '../iam/names';
import { createRouter } from '../openapi';
import { dashboardSignInFailed, openDashboardSession } from '../ui/federated-session';
import { safeNext } from '../ui/session';
import { flowSeconds, loopbackRedirect, saveFlow, takeFlow } from './login-flow';
import {
  groupMembership,
  mappedGroups,
  membershipUnchanged,
  resolveFederatedUser,
  signInWrites,
} from './mapping';
import { pluginFor } from './plugins';
import { cachedProvider } from './provider-cache';
import { pluginContext, resolveProvider } from './provider-config';

const codeSeconds = 60;
const idpParam = z.object({ idp: dnsLabel });

async function redirectProvider(c: Context<AppEnv>, idp: string) {
  const row = await cachedProvider(c.get('db'), c.env.DB, idp);
  const resolved = row && (await resolveProvider(c.env, row));
  if (!row || !resolved?.plugin.startRedirect || !resolved.plugin.finishRedirect)
    throw notFound(`Browser sign-in provider "${idp}"`);
  return { row, ...resolved };
}

const callbackUrl = (c: Context<AppEnv>, idp: string) =>
  `${issuerUrl(c.env, c.req.url)}/oauth/callback/${idp}`;

const login = createRoute({
  method: 'get',
  path: '/oauth/login/{idp}',
  tags: ['auth'],
  summary: 'Start a browser sign-in with an identity provider (OIDC, OAuth2, GitHub, CAS)',
  description:
    'Redirects to the provider. A CLI passes `redirect_uri` on loopback (RFC 8252) and optionally `state` and a PKCE `code_challenge` (S256): it then receives a one-time `code` to exchange at /oauth/token with grant_type=authorization_code.',
  request: {
    params: idpParam,
    query: z.object({
      redirect_uri: z.string().max(2048).optional(),
      state: z.string().max(512).optional(),
      code_challenge: z
        .string()
        .regex(/^[\w-]{43}$/)
        .optional(),
      code_challenge_method: z.literal('S256').optional(),
      ui: z
        .literal('1')
        .optional()
        .describe('Started from the dashboard: the callback opens a dashboard session.'),
      next: z
        .string()
        .max(2048)
        .optional()
        .describe('With ui=1: the dashboard page to land on (only /ui paths).'),
    }),
  },
  responses: {
    302: { description: 'To the provider.' },
    400: { description: 'Bad redirect_uri.' },
    404: { description: 'No such browser sign-in provider.' },
  },
});

const callback = createRoute({
  method: 'get',
  path: '/oauth/callback/{idp}',
  tags: ['auth'],
  summary: "The provider's redirect back: signs the user in",
  description:
    'Answers with edgetower tokens (JSON, no-store), or for a CLI redirects to its loopback redirect_uri with a one-time code (60 s), or for a sign-in started from the dashboard (ui=1) sets the dashboard session cookie and redirects to the dashboard.',
  request: {
    params: idpParam,
    // Providers add their own parameters (CAS `ticket`, OAuth2 `error_uri`...): kept, not refused.
    query: z.looseObject({
      state: z.string().max(512).optional(),
      code: z.string().max(4096).optional(),
      error: z.string().max(256).optional(),
    }),
  },
  responses: {
    200: { description: 'Tokens.' },
    302: { description: 'To the CLI with a one-time code.' },
    303: { description: 'To the dashboard, signed in (ui=1).' },
    400: { description: 'Expired sign-in or state mismatch.' },
    401: {
      description: 'The provider answered with an invalid identity (bad id_token, wrong nonce).',
    },
    403: { description: 'No linked account (lookup) or account disabled.' },
    429: { description: 'Account locked.' },
    502: { description: 'The provider failed (named in the message).' },
  },
});

const providers = createRoute({
  method: 'get',
  path: '/oauth/providers',
  tags: ['auth'],
  summary: 'The sign-in choices, for a login page (no settings, no authentication)',
  responses: {
    200: {
      description: 'Providers by name; `loginPath` for browser providers, `idp` for password ones.',
      content: {
        'application/json': {
          schema: z.object({
            items: z.array(
              z.object({
                name: z.string(),
                displayName: z.string(),
                type: z.string(),
                loginPath: z.string().optional(),
                password: z.boolean(),
              }),
            ),
          }),
        },
      },
    },
  },
});

/** Browser sign-in through a provider: /oauth/login/:idp and /oauth/callback/:idp. */
export const loginRoutes = createRouter()
  .openapi(providers, async (c) => {
    const rows = await listIdentityProviders(c.get('db'), { limit: 200 });
    const items = rows.flatMap((row) => {
      const plugin = pluginFor(row.type);
      if (!plugin) return [];
      return [
        {
          name: row.name,
          displayName: row.displayName ?? row.name,
          type: row.type,
          ...(plugin.startRedirect ? { loginPath: `/oauth/login/${row.name}` } : {}),
          password: Boolean(plugin.passwordLogin),
        },
      ];
    });
    return c.json({ items }, 200);
  })
  .openapi(login, async (c) => {
    const { idp } = c.req.valid('param');
    const query = c.req.valid('query');
    const cli = query.redirect_uri
      ? {
          redirectUri: loopbackRedirect(query.redirect_uri),
          state: query.state,
          codeChallenge: query.code_challenge,
        }
      : undefined;
    if (cli && query.ui)
      throw badRequest('ui=1 and redirect_uri exclude each other: a CLI or the dashboard.', [
        { path: 'ui', message: 'not with redirect_uri' },
      ]);
    const { plugin, provider } = await redirectProvider(c, idp);
    const state = randomToken('', 24);
    const start = await plugin.startRedirect!(
      provider,
      { redirectUri: callbackUrl(c, idp), state },
      pluginContext(c.env),
    );
    await saveFlow(c, {
      idp,
      state,
      verifier: start.verifier,
      nonce: start.nonce,
      cli,
      ui: query.ui ? { next: safeNext(query.next) } : undefined,
      expires: Date.now() + flowSeconds * 1000,
    });
    c.header('cache-control', 'no-store');
    return c.redirect(start.url, 302);
  })
  .openapi(callback, async (c) => {
    const { idp } = c.req.valid('param');
    const query = c.req.query();
    const flow = await takeFlow(c, idp, c.req.valid('query').state);
    const { row, plugin, provider } = await redirectProvider(c, idp);
    const db = c.get('db');
    const now = new Date();
    let who = `${idp}:unknown`;
    try {
      const [identity, groups] = await Promise.all([
        plugin.finishRedirect!(
          provider,
          { query, redirectUri: callbackUrl(c, idp), verifier: flow.verifier, nonce: flow.nonce },
          pluginContext(c.env),
        ),
        mappedGroups(db, row),
      ]);
      who = identity.username;
      // One batch: the link with the principal a token needs (read through the link in SQL).
      const linked = await findLinkedPrincipal(db, row.id, identity.externalId);
      const signedIn = linked
        ? { user: linked.loaded.user, identityId: linked.identity.id }
        : await resolveFederatedUser(db, row, identity);
      const { user } = signedIn;
      // An account whose own name is locked by password guesses stays locked here too.
      const locked = await loginLockedUntil(db, canonicalLoginName(user.name), now);
      if (locked) throw accountLocked(locked, now);
      if (user.status !== 'active') throw new ApiError(403, 'This account is disabled.');
      const membership = groupMembership(identity, groups);
      const writes = signInWrites(db, signedIn, identity, membership, now);
      if (flow.cli) {
        const code = randomToken('', 32);
        const codeRow = await loginCodeInsert(db, {
          code,
          userId: user.id,
          redirectUri: flow.cli.redirectUri,
          codeChallenge: flow.cli.codeChallenge,
          expiresAt: new Date(now.getTime() + codeSeconds * 1000),
        });
        await db.batch([
          ...writes,
          codeRow.statement,
          auditEventInsert(db, loginAuditEvent(c, who, 'success', 302)),
        ]);
        const target = new URL(flow.cli.redirectUri);
        target.searchParams.set('code', code);
        if (flow.cli.state) target.searchParams.set('state', flow.cli.state);
        c.header('cache-control', 'no-store');
        return c.redirect(target.href, 302);
      }
      const success = auditEventInsert(db, loginAuditEvent(c, who, 'success', 200));
      // The principal read above is the token's when this sign-in changes no
      // membership (every sign-in after the first with the same groups): then
      // the sign-in, its refresh token and its audit row are one atomic batch.
      // Otherwise the memberships are written first and the principal re-read.
      const current = linked && membershipUnchanged(linked.groupIds, membership) && linked.loaded;
      if (!current) {
        const [first, ...rest] = writes;
        await db.batch([first, ...rest]);
      }
      const tokens = await issueTokens(
        c,
        user.id,
        { scope: 'openid' },
        current ? { loaded: current, writes: [...writes, success] } : { writes: [success] },
      );
      if (!tokens) throw new ApiError(403, 'This account is disabled.');
      if (flow.ui) return openDashboardSession(c, tokens.refresh_token, flow.ui.next);
      return c.json(tokens, 200);
    } catch (error) {
      const status = error instanceof ApiError ? error.status : 500;
      await auditLogin(c, who, status === 429 || status === 403 ? 'denied' : 'failure', status);
      // A person at the dashboard gets its sign-in page back with the reason, not JSON.
      if (flow.ui && error instanceof ApiError) return dashboardSignInFailed(c, error);
      throw error;
    }
  });
