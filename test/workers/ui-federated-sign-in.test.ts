import { env } from 'cloudflare:workers';
import { beforeAll, describe, expect, it } from 'vitest';
import { call } from './support/auth';
import { adminApi } from './support/identity';
import { browserSignIn, oidcServer } from './support/oidc-flow';
import { Browser } from './support/ui-browser';

/** The dashboard session cookie's `name=value` and its attributes, from a Set-Cookie list. */
const sessionCookie = (res: Response) =>
  res.headers.getAll('set-cookie').find((line) => line.startsWith('__Host-et_session='));

async function createOidcProvider(name: string, extra: Record<string, unknown> = {}) {
  const server = oidcServer();
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name,
    displayName: `Corp SSO ${name}`,
    type: 'oidc',
    config: {
      issuer: server.issuer,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      scopes: ['openid', 'profile', 'email'],
    },
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

beforeAll(async () => {
  await createOidcProvider('corp-oidc');
  await createOidcProvider('lookup-oidc', { mappingMethod: 'lookup' });
});

describe('dashboard sign-in through a redirect identity provider (real oidc-provider)', () => {
  it('lists every browser provider on the sign-in page as a link that starts a ui flow', async () => {
    const browser = new Browser();
    const res = await browser.get('/ui/sign-in?next=%2Fui%2Falerts');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Or sign in with');
    expect(html).toContain('href="/oauth/login/corp-oidc?ui=1&amp;next=%2Fui%2Falerts"');
    expect(html).toContain('>Corp SSO corp-oidc</a>');
    expect(html).toContain('href="/oauth/login/lookup-oidc?ui=1&amp;next=%2Fui%2Falerts"');
  });

  it('callback sets the dashboard session cookie and redirects to the page asked for', async () => {
    const res = await browserSignIn('corp-oidc', {
      account: 'carol-sub-1',
      loginQuery: { ui: '1', next: '/ui/alerts' },
    });
    expect(res.status, await res.clone().text()).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/alerts');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const cookie = sessionCookie(res) ?? '';
    expect(cookie).toMatch(/^__Host-et_session=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Secure/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).toMatch(/Path=\//);
    // No tokens in the body or the URL: only the opaque refresh token, in the cookie.
    expect(await res.text()).not.toContain('access_token');

    // The cookie is a working dashboard session of the federated user.
    const browser = new Browser();
    const [pair = ''] = cookie.split(';');
    browser.cookies.set('__Host-et_session', pair.slice(pair.indexOf('=') + 1));
    const page = await browser.get('/ui');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('carol-jones');

    // Its stored form is a hash, like every refresh token; the login was audited.
    const token = pair.slice(pair.indexOf('=') + 1);
    const stored = await env.DB.prepare(
      'select count(*) as n from refresh_tokens where token_hash = ?',
    )
      .bind(token)
      .first<{ n: number }>();
    expect(stored?.n).toBe(0);
    const audit = await env.DB.prepare(
      "select outcome, status from audit_events where verb = 'login' and name = 'Carol_Jones' order by time desc limit 1",
    ).first();
    expect(audit).toEqual({ outcome: 'success', status: 200 });

    // Sign-out revokes it like a password session.
    const out = await browser.post('/ui/sign-out', { _csrf: browser.csrf });
    expect(out.status).toBe(303);
    const after = await browser.get('/ui');
    expect(after.status).toBe(303);
  });

  it('keeps API and CLI callbacks unchanged: JSON tokens without ui=1', async () => {
    const res = await browserSignIn('corp-oidc', { account: 'carol-sub-1' });
    expect(res.status).toBe(200);
    expect(sessionCookie(res)).toBeUndefined();
    expect(await res.json()).toMatchObject({
      token_type: 'Bearer',
      refresh_token: expect.any(String),
    });
  });

  it('lands only on dashboard paths: a foreign next goes to /ui', async () => {
    const res = await browserSignIn('corp-oidc', {
      account: 'carol-sub-1',
      loginQuery: { ui: '1', next: 'https://evil.example/ui' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui');
    expect(sessionCookie(res)).toBeDefined();
  });

  it('refuses ui=1 together with a CLI redirect_uri, and bad ui values', async () => {
    const both = await call('/oauth/login/corp-oidc?ui=1&redirect_uri=http://127.0.0.1:8000/cb', {
      redirect: 'manual',
    });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({
      code: 'validation_failed',
      requestId: expect.any(String),
    });
    const bad = await call('/oauth/login/corp-oidc?ui=yes', { redirect: 'manual' });
    expect(bad.status).toBe(400);
  });

  it('a refused provider sign-in returns to the sign-in page with the reason, no session', async () => {
    const res = await browserSignIn('lookup-oidc', {
      account: 'dave-sub-2',
      loginQuery: { ui: '1' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/ui/sign-in?failed=identity_not_linked');
    expect(sessionCookie(res)).toBeUndefined();
    const audit = await env.DB.prepare(
      "select outcome from audit_events where verb = 'login' and status = 403",
    ).all();
    expect(audit.results).toEqual([{ outcome: 'denied' }]);
    const page = await new Browser().get('/ui/sign-in?failed=identity_not_linked');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(
      'Signing in with that provider failed (identity_not_linked).',
    );
    const injected = await new Browser().get('/ui/sign-in?failed=%3Cscript%3E');
    expect(injected.status).toBe(400);
  });
});
