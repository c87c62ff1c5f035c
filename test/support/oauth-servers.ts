import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** Who signs in: the test adds `login=<key>` to the authorization/login URL it follows. */
export const oauthUsers: Record<
  string,
  {
    id: number;
    login: string;
    name: string;
    email: string;
    teams: string[];
    /** GitHub: the profile's e-mail is private (null on /user); /user/emails has these. */
    privateEmails?: GithubEmail[];
    /** GitHub organisations and [org, team slug] pairs. */
    orgs?: string[];
    githubTeams?: [string, string][];
  }
> = {
  octo: {
    id: 583231,
    login: 'Octo_Cat',
    name: 'The Octocat',
    email: 'octo@example.org',
    teams: ['platform'],
    orgs: ['acme', 'octo-org'],
    githubTeams: [
      ['acme', 'platform'],
      ['octo-org', 'docs'],
    ],
  },
  erin: { id: 1001, login: 'erin', name: 'Erin', email: 'erin@example.org', teams: [] },
  // Keeps her e-mail private: the primary, verified one is the one to use.
  hana: {
    id: 1002,
    login: 'hana',
    name: 'Hana',
    email: 'hana@example.org',
    teams: [],
    privateEmails: [
      { email: 'hana-old@example.org', primary: false, verified: true },
      { email: 'hana@example.org', primary: true, verified: true },
    ],
  },
  // Private e-mail whose primary address was never verified: no e-mail at all.
  ivan: {
    id: 1003,
    login: 'ivan',
    name: 'Ivan',
    email: 'ivan@example.org',
    teams: [],
    privateEmails: [
      { email: 'ivan@example.org', primary: true, verified: false },
      { email: 'ivan-verified@example.org', primary: false, verified: true },
    ],
  },
};

export const oauthClient = {
  clientId: 'edgetower-oauth',
  clientSecret: 'oauth-client-secret-for-tests',
};

export interface OAuthTestServer {
  url: string;
  stop(): Promise<void>;
}

const xmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`,
  );

/**
 * One loopback server speaking three dialects, per their specs: GitHub's
 * OAuth web flow (/login/oauth/*, /api/v3/user), a generic OAuth2 server
 * with a nested user document (/oauth2/*), and CAS 3 (/cas/login,
 * /cas/p3/serviceValidate). Codes and tickets are single-use.
 */
export async function startOAuthServers(): Promise<OAuthTestServer> {
  const codes = new Map<string, { user: string; redirectUri: string; scopes: string[] }>();
  const tokens = new Map<string, { user: string; scopes: string[] }>();
  const tickets = new Map<string, { user: string; service: string }>();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (status: number, body: unknown, type = 'application/json') => {
      res.writeHead(status, { 'content-type': type });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const redirect = (location: string) => {
      res.writeHead(302, { location });
      res.end();
    };
    const form = async () => {
      let raw = '';
      for await (const chunk of req) raw += chunk;
      return new URLSearchParams(raw);
    };
    const p = url.pathname;
    if (p === '/login/oauth/authorize' || p === '/oauth2/authorize') {
      const user = url.searchParams.get('login') ?? '';
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      if (url.searchParams.get('client_id') !== oauthClient.clientId || !oauthUsers[user])
        return send(400, { error: 'invalid_request' });
      const code = randomBytes(16).toString('hex');
      const scopes = (url.searchParams.get('scope') ?? '').split(' ').filter(Boolean);
      codes.set(code, { user, redirectUri, scopes });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      return redirect(back.href);
    }
    if ((p === '/login/oauth/access_token' || p === '/oauth2/token') && req.method === 'POST') {
      const body = await form();
      const grant = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
      if (
        body.get('client_id') !== oauthClient.clientId ||
        body.get('client_secret') !== oauthClient.clientSecret
      )
        return send(401, { error: 'invalid_client' });
      if (!grant || grant.redirectUri !== body.get('redirect_uri')) {
        // GitHub answers 200 with an error document; generic servers 400.
        return p.startsWith('/login')
          ? send(200, { error: 'bad_verification_code' })
          : send(400, { error: 'invalid_grant' });
      }
      const token = randomBytes(16).toString('hex');
      tokens.set(token, { user: grant.user, scopes: grant.scopes });
      // GitHub reports the granted scopes comma-separated.
      return send(200, {
        access_token: token,
        token_type: 'bearer',
        scope: grant.scopes.join(','),
      });
    }
    const grant = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
    if (p.startsWith('/api/v3/user') && (!grant || !oauthUsers[grant.user]))
      return send(401, { message: 'Bad credentials' });
    const has = (scope: string) => grant?.scopes.includes(scope) ?? false;
    if (grant && p === '/api/v3/user/emails') {
      // GitHub: 404 without user:email (or user).
      if (!has('user:email') && !has('user')) return send(404, { message: 'Not Found' });
      const user = oauthUsers[grant.user]!;
      return send(
        200,
        user.privateEmails ?? [{ email: user.email, primary: true, verified: true }],
      );
    }
    if (grant && p === '/api/v3/user/orgs') {
      // Without read:org GitHub still answers, with public memberships: one org per page here,
      // so the Link header is followed.
      const orgs = oauthUsers[grant.user]?.orgs ?? [];
      const page = Number(url.searchParams.get('page') ?? '1');
      if (page < orgs.length)
        res.setHeader('link', `<${`http://${req.headers.host}${p}?page=${page + 1}`}>; rel="next"`);
      return send(
        200,
        orgs.slice(page - 1, page).map((login) => ({ login, id: login.length })),
      );
    }
    if (grant && p === '/api/v3/user/teams') {
      if (!has('read:org')) return send(403, { message: 'Resource not accessible by integration' });
      return send(
        200,
        (oauthUsers[grant.user]?.githubTeams ?? []).map(([org, slug]) => ({
          slug,
          name: slug,
          organization: { login: org },
        })),
      );
    }
    if (p === '/api/v3/user' || p === '/oauth2/userinfo') {
      const user = oauthUsers[grant?.user ?? ''];
      if (!user) return send(401, { message: 'Bad credentials' });
      if (p === '/api/v3/user')
        return send(200, {
          id: user.id,
          login: user.login,
          name: user.name,
          email: user.privateEmails ? null : user.email,
        });
      return send(200, {
        data: {
          uid: `u-${user.id}`,
          profile: { handle: user.login, mail: user.email },
          teams: user.teams,
        },
      });
    }
    if (p === '/cas/login') {
      const user = url.searchParams.get('login') ?? '';
      const service = url.searchParams.get('service') ?? '';
      if (!oauthUsers[user]) return send(400, 'unknown user', 'text/plain');
      const ticket = `ST-${randomBytes(12).toString('hex')}`;
      tickets.set(ticket, { user, service });
      const back = new URL(service);
      back.searchParams.set('ticket', ticket);
      return redirect(back.href);
    }
    if (p === '/cas/p3/serviceValidate' || p === '/cas/serviceValidate') {
      const ticket = url.searchParams.get('ticket') ?? '';
      const grant = tickets.get(ticket);
      tickets.delete(ticket);
      const xml = (inner: string) =>
        `<cas:serviceResponse xmlns:cas="http://www.yale.edu/tp/cas">${inner}</cas:serviceResponse>`;
      if (!grant || grant.service !== url.searchParams.get('service'))
        return send(
          200,
          xml(
            `<cas:authenticationFailure code="INVALID_TICKET">Ticket ${xmlEscape(ticket)} not recognized</cas:authenticationFailure>`,
          ),
          'application/xml',
        );
      const user = oauthUsers[grant.user]!;
      const attributes = p.includes('/p3/')
        ? `<cas:attributes><cas:email>${xmlEscape(user.email)}</cas:email><cas:displayName>${xmlEscape(user.name)}</cas:displayName>${user.teams.map((t) => `<cas:memberOf>${xmlEscape(t)}</cas:memberOf>`).join('')}</cas:attributes>`
        : '';
      return send(
        200,
        xml(
          `<cas:authenticationSuccess><cas:user>${xmlEscape(user.login)}</cas:user>${attributes}</cas:authenticationSuccess>`,
        ),
        'application/xml',
      );
    }
    send(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
