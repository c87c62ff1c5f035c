import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parseServiceResponse } from '../../functions/identity/cas/service-response';
import { call } from './support/auth';
import { adminApi } from './support/identity';
import { browserSignIn } from './support/oidc-flow';

const server = () => inject('oauth');
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;
const as = (login: string) => (url: URL) => url.searchParams.set('login', login);

async function create(name: string, type: string, config: Record<string, unknown>, extra = {}) {
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name,
    type,
    config,
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

beforeAll(async () => {
  const { url, clientId, clientSecret } = server();
  expect((await adminApi('POST', '/api/v1/workspaces', { name: 'ws-g' })).status).toBe(201);
  expect(
    (await adminApi('POST', '/api/v1/workspaces/ws-g/groups', { name: 'platform' })).status,
  ).toBe(201);
  await create('github', 'github', { clientId, clientSecret, enterpriseUrl: url });
  await create(
    'generic',
    'oauth2',
    {
      authorizeUrl: `${url}/oauth2/authorize`,
      tokenUrl: `${url}/oauth2/token`,
      userInfoUrl: `${url}/oauth2/userinfo`,
      clientId,
      clientSecret,
      idField: 'data.uid',
      usernameField: 'data.profile.handle',
      emailField: 'data.profile.mail',
      groupsField: 'data.teams',
    },
    { groupMappings: [{ from: 'platform', workspace: 'ws-g', group: 'platform' }] },
  );
  await create(
    'cas',
    'cas',
    { serverUrl: `${url}/cas` },
    {
      groupMappings: [{ from: 'platform', workspace: 'ws-g', group: 'platform' }],
    },
  );
});

describe('GitHub preset against a GitHub-shaped loopback server', () => {
  it('signs in through authorize, access_token and /user', async () => {
    const res = await browserSignIn('github', { account: '', rewriteAuthorize: as('octo') });
    expect(res.status, await res.clone().text()).toBe(200);
    const claims = decodeJwt(String((await json(res)).access_token));
    expect(claims.username).toBe('octo-cat');
    const link = await env.DB.prepare(
      "select i.external_id from identities i join users u on u.id = i.user_id where u.name = 'octo-cat'",
    ).first();
    expect(link).toEqual({ external_id: '583231' });
  });

  it('takes a private e-mail from /user/emails: the primary one, only when verified', async () => {
    const hana = await browserSignIn('github', { account: '', rewriteAuthorize: as('hana') });
    expect(hana.status, await hana.clone().text()).toBe(200);
    const ivan = await browserSignIn('github', { account: '', rewriteAuthorize: as('ivan') });
    expect(ivan.status, await ivan.clone().text()).toBe(200);
    const emails = await env.DB.prepare(
      "select name, email from users where name in ('hana', 'ivan') order by name",
    ).all();
    expect(emails.results).toEqual([
      { name: 'hana', email: 'hana@example.org' },
      { name: 'ivan', email: null },
    ]);
  });

  it('maps organisations and teams to groups when read:org is granted, and only then', async () => {
    const { url, clientId, clientSecret } = server();
    expect(
      (await adminApi('POST', '/api/v1/workspaces/ws-g/groups', { name: 'docs' })).status,
    ).toBe(201);
    const orgMappings = {
      groupMappings: [
        { from: 'acme/platform', workspace: 'ws-g', group: 'platform' },
        { from: 'octo-org', workspace: 'ws-g', group: 'docs' },
      ],
    };
    await create(
      'github-org',
      'github',
      {
        clientId,
        clientSecret,
        enterpriseUrl: url,
        scopes: ['read:user', 'user:email', 'read:org'],
      },
      orgMappings,
    );
    // Default scopes (no read:org), same mappings: GitHub would list public memberships, never used.
    await create(
      'github-no-org',
      'github',
      { clientId, clientSecret, enterpriseUrl: url },
      orgMappings,
    );
    const withOrg = await browserSignIn('github-org', {
      account: '',
      rewriteAuthorize: as('octo'),
    });
    expect(withOrg.status, await withOrg.clone().text()).toBe(200);
    // acme/platform (a team) and octo-org (an organisation, on the second page of /user/orgs);
    // groups reach tokens in their cluster-safe form, edgetower:<workspace>:<group>.
    expect(decodeJwt(String((await json(withOrg)).access_token)).groups).toEqual([
      'edgetower:ws-g:docs',
      'edgetower:ws-g:platform',
    ]);
    const withoutOrg = await browserSignIn('github-no-org', {
      account: '',
      rewriteAuthorize: as('octo'),
    });
    expect(withoutOrg.status, await withoutOrg.clone().text()).toBe(200);
    expect(decodeJwt(String((await json(withoutOrg)).access_token)).groups).toEqual([]);
    for (const name of ['github-org', 'github-no-org'])
      expect((await adminApi('DELETE', `/api/v1/identity-providers/${name}`)).status).toBe(204);
  });

  it('names the provider and step when the code is refused', async () => {
    const start = await call('/oauth/login/github', { redirect: 'manual' });
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const state = new URL(start.headers.get('location') ?? '').searchParams.get('state');
    const res = await call(`/oauth/callback/github?code=forged&state=${state}`, {
      headers: { cookie },
    });
    expect(res.status).toBe(502);
    const body = await json(res);
    expect(String(body.message)).toMatch(
      /"github": the token endpoint failed \(bad_verification_code\)/,
    );
    expect(JSON.stringify(body)).not.toContain('oauth-client-secret-for-tests');
  });
});

describe('generic OAuth2 with configured field paths', () => {
  it('maps nested id, username, email and groups', async () => {
    const res = await browserSignIn('generic', { account: '', rewriteAuthorize: as('octo') });
    expect(res.status, await res.clone().text()).toBe(200);
    const claims = decodeJwt(String((await json(res)).access_token));
    // octo-cat is taken by the GitHub identity: a distinct, deterministic name.
    expect(claims.username).toMatch(/^octo-cat-[0-9a-f]{6}$/);
    expect(claims.groups).toEqual(['edgetower:ws-g:platform']);
  });
});

describe('CAS 3 against a loopback CAS server', () => {
  it('redirects to /login with the service and validates the ticket with attributes', async () => {
    const start = await call('/oauth/login/cas', { redirect: 'manual' });
    const location = new URL(start.headers.get('location') ?? '');
    expect(location.pathname).toBe('/cas/login');
    expect(location.searchParams.get('service')).toMatch(
      /^https:\/\/edge\.test\/oauth\/callback\/cas\?state=[\w-]+$/,
    );

    const res = await browserSignIn('cas', { account: '', rewriteAuthorize: as('erin') });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(decodeJwt(String((await json(res)).access_token))).toMatchObject({
      username: 'erin',
      groups: [],
    });
    const octo = await browserSignIn('cas', { account: '', rewriteAuthorize: as('octo') });
    const claims = decodeJwt(String((await json(octo)).access_token));
    expect(claims.groups).toEqual(['edgetower:ws-g:platform']);
    const row = await env.DB.prepare('select email, display_name from users where name = ?')
      .bind(claims.username)
      .first();
    expect(row).toEqual({ email: 'octo@example.org', display_name: 'The Octocat' });
  });

  it('refuses a forged ticket with the CAS failure code', async () => {
    const start = await call('/oauth/login/cas', { redirect: 'manual' });
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const service = new URL(
      new URL(start.headers.get('location') ?? '').searchParams.get('service') ?? '',
    );
    const res = await call(
      `/oauth/callback/cas?state=${service.searchParams.get('state')}&ticket=ST-forged`,
      {
        headers: { cookie },
      },
    );
    expect(res.status).toBe(401);
    expect(String((await json(res)).message)).toMatch(
      /"cas": the ticket was refused \(INVALID_TICKET/,
    );
  });

  it('parses CAS 2/3 responses with any prefix, entities and CDATA', () => {
    expect(
      parseServiceResponse(
        `<x:serviceResponse xmlns:x="http://www.yale.edu/tp/cas"><x:authenticationSuccess><x:user>a&amp;b</x:user><x:attributes><x:memberOf>g1</x:memberOf><x:memberOf><![CDATA[g<2>]]></x:memberOf></x:attributes></x:authenticationSuccess></x:serviceResponse>`,
      ),
    ).toEqual({ ok: true, user: 'a&b', attributes: { memberOf: ['g1', 'g<2>'] } });
    expect(parseServiceResponse('<cas:serviceResponse/>')).toMatchObject({
      ok: false,
      code: 'MALFORMED',
    });
  });
});

describe('GET /oauth/providers', () => {
  it('lists the sign-in choices without settings, unauthenticated', async () => {
    const res = await call('/oauth/providers');
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.items).toEqual([
      {
        name: 'cas',
        displayName: 'cas',
        type: 'cas',
        loginPath: '/oauth/login/cas',
        password: false,
      },
      {
        name: 'generic',
        displayName: 'generic',
        type: 'oauth2',
        loginPath: '/oauth/login/generic',
        password: false,
      },
      {
        name: 'github',
        displayName: 'github',
        type: 'github',
        loginPath: '/oauth/login/github',
        password: false,
      },
    ]);
    expect(JSON.stringify(body)).not.toContain('secret');
  });
});
