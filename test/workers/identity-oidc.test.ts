import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { housekeepingTasks } from '../../functions/housekeeping';
import { s256Challenge } from '../../functions/identity/oidc/pkce';
import { call, postForm } from './support/auth';
import { adminApi } from './support/identity';
import { browserSignIn, oidcServer } from './support/oidc-flow';

async function createOidcProvider(name: string, extra: Record<string, unknown> = {}) {
  const server = oidcServer();
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name,
    type: 'oidc',
    config: {
      issuer: server.issuer,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      scopes: ['openid', 'profile', 'email', 'groups'],
    },
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

beforeAll(async () => {
  expect((await adminApi('POST', '/api/v1/workspaces', { name: 'ws-o' })).status).toBe(201);
  expect((await adminApi('POST', '/api/v1/workspaces/ws-o/groups', { name: 'sre' })).status).toBe(
    201,
  );
  await createOidcProvider('corp-oidc', {
    groupMappings: [{ from: 'sre', workspace: 'ws-o', group: 'sre' }],
  });
});

describe('OIDC sign-in against a real provider (oidc-provider on loopback)', () => {
  it('redirects with PKCE S256, state and nonce, and keeps them in a sealed HttpOnly cookie', async () => {
    const res = await call('/oauth/login/corp-oidc', { redirect: 'manual' });
    expect(res.status).toBe(302);
    const url = new URL(res.headers.get('location') ?? '');
    expect(url.origin).toBe(oidcServer().issuer);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'edgetower',
      redirect_uri: 'https://edge.test/oauth/callback/corp-oidc',
      code_challenge_method: 'S256',
      scope: 'openid profile email groups',
    });
    expect(url.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(url.searchParams.get('state')).toMatch(/^[\w-]{32}$/);
    expect(url.searchParams.get('nonce')).toMatch(/^[\w-]{22}$/);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^edgetower_login=v1\./);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).not.toContain(url.searchParams.get('nonce'));
  });

  it('runs the whole code + PKCE flow and signs the user in with mapped claims and groups', async () => {
    const res = await browserSignIn('corp-oidc', { account: 'carol-sub-1' });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const tokens = await json(res);
    const claims = decodeJwt(String(tokens.access_token));
    expect(claims).toMatchObject({ username: 'carol-jones', groups: ['edgetower:ws-o:sre'] });
    const user = await env.DB.prepare('select email, display_name from users where name = ?')
      .bind('carol-jones')
      .first();
    expect(user).toEqual({ email: 'carol@example.org', display_name: 'Carol Jones' });
    const audit = await env.DB.prepare(
      "select outcome, status from audit_events where verb = 'login' and user = 'Carol_Jones'",
    ).all();
    expect(audit.results).toEqual([{ outcome: 'success', status: 200 }]);
  });

  it('refuses an id_token whose signature was tampered with', async () => {
    await createOidcProvider('tamper-oidc');
    await fetch(`${oidcServer().issuer}/__tamper`, { method: 'POST' });
    const res = await browserSignIn('tamper-oidc', { account: 'dave-sub-2' });
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body).toMatchObject({ code: 'identity_rejected' });
    expect(String(body.message)).toMatch(/"tamper-oidc".*id_token is not valid.*signature/i);
    expect(JSON.stringify(body)).not.toContain('oidc-client-secret-for-tests');
    const failed = await env.DB.prepare(
      "select count(*) as n from audit_events where verb = 'login' and outcome = 'failure' and status = 401",
    ).first<{ n: number }>();
    expect(failed?.n).toBe(1);
  });

  it('refuses an id_token carrying another nonce', async () => {
    await createOidcProvider('nonce-oidc');
    const res = await browserSignIn('nonce-oidc', {
      account: 'dave-sub-2',
      rewriteAuthorize: (url) => url.searchParams.set('nonce', 'attacker-chosen-nonce'),
    });
    expect(res.status).toBe(401);
    expect(String((await json(res)).message)).toMatch(/nonce does not match/);
  });

  it('refuses a callback without the flow cookie or with another state', async () => {
    const noCookie = await call('/oauth/callback/corp-oidc?code=x&state=y');
    expect(noCookie.status).toBe(400);
    expect(await json(noCookie)).toMatchObject({ code: 'login_expired' });
    const start = await call('/oauth/login/corp-oidc', { redirect: 'manual' });
    const cookie = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const wrongState = await call('/oauth/callback/corp-oidc?code=x&state=forged', {
      headers: { cookie },
    });
    expect(wrongState.status).toBe(400);
    expect(String((await json(wrongState)).message)).toMatch(/state does not match/);
    expect((await call('/oauth/login/no-such-idp', { redirect: 'manual' })).status).toBe(404);
    expect((await call('/oauth/login/Bad_Name', { redirect: 'manual' })).status).toBe(400);
  });

  it('hands a CLI a one-time code on its loopback redirect_uri, exchanged once with PKCE', async () => {
    const verifier = 'cli-verifier-0123456789-0123456789-0123456789';
    const redirectUri = 'http://127.0.0.1:8765/callback';
    const res = await browserSignIn('corp-oidc', {
      account: 'carol-sub-1',
      loginQuery: {
        redirect_uri: redirectUri,
        state: 'cli-state',
        code_challenge: await s256Challenge(verifier),
        code_challenge_method: 'S256',
      },
    });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.origin + back.pathname).toBe(redirectUri);
    expect(back.searchParams.get('state')).toBe('cli-state');
    const code = back.searchParams.get('code') ?? '';
    const exchange = (fields: Record<string, string>) =>
      postForm('/oauth/token', {
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        ...fields,
      });
    expect((await exchange({ code_verifier: 'wrong-verifier' })).status).toBe(400);
    // The failed attempt used the code up: one try only.
    expect((await exchange({ code_verifier: verifier })).status).toBe(400);

    const again = await browserSignIn('corp-oidc', {
      account: 'carol-sub-1',
      loginQuery: { redirect_uri: redirectUri, code_challenge: await s256Challenge(verifier) },
    });
    const code2 = new URL(again.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const ok = await postForm('/oauth/token', {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(ok.status).toBe(200);
    expect(decodeJwt(String((await json(ok)).access_token)).username).toBe('carol-jones');
    const replay = await postForm('/oauth/token', {
      grant_type: 'authorization_code',
      code: code2,
      redirect_uri: redirectUri,
      code_verifier: verifier,
    });
    expect(replay.status).toBe(400);
    expect(await json(replay)).toMatchObject({ error: 'invalid_grant' });

    // Housekeeping drops codes once expired.
    const codes = () =>
      env.DB.prepare('select count(*) as n from identity_login_codes').first<{ n: number }>();
    expect((await codes())?.n).toBe(2);
    await housekeepingTasks['purge-login-codes']?.(env, new Date(Date.now() + 61_000));
    expect((await codes())?.n).toBe(0);

    const notLoopback = await call(
      `/oauth/login/corp-oidc?redirect_uri=${encodeURIComponent('https://evil.example/cb')}`,
      {
        redirect: 'manual',
      },
    );
    expect(notLoopback.status).toBe(400);
  });

  it('lookup: an unlinked identity is refused until an admin links it', async () => {
    await createOidcProvider('lookup-oidc', { mappingMethod: 'lookup' });
    const refused = await browserSignIn('lookup-oidc', { account: 'dave-sub-2' });
    expect(refused.status).toBe(403);
    expect(await json(refused)).toMatchObject({ code: 'identity_not_linked' });
    await adminApi('POST', '/api/v1/identity-providers/lookup-oidc/identities', {
      externalId: 'dave-sub-2',
      user: 'carol-jones',
    });
    const linked = await browserSignIn('lookup-oidc', { account: 'dave-sub-2' });
    expect(linked.status).toBe(200);
    expect(decodeJwt(String((await json(linked)).access_token)).username).toBe('carol-jones');
  });

  it('validates OIDC config: URL issuer, required client secret, private hosts per the env flag', async () => {
    const bad = await adminApi('POST', '/api/v1/identity-providers', {
      name: 'bad-oidc',
      type: 'oidc',
      config: { issuer: 'not a url', clientId: 'x' },
    });
    expect(bad.status).toBe(400);
    const paths = (bad.body.fields as { path: string }[]).map((f) => f.path).sort();
    expect(paths).toEqual(['config.clientSecret', 'config.issuer']);
    const got = await adminApi('GET', '/api/v1/identity-providers/corp-oidc');
    expect(got.body.configuredSecrets).toEqual(['clientSecret']);
    expect(JSON.stringify(got.body)).not.toContain('oidc-client-secret-for-tests');
  });
});
