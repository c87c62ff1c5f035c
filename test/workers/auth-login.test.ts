import { env } from 'cloudflare:workers';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, login, postForm, seedUser } from './support/auth';

describe('POST /oauth/token grant_type=password', () => {
  it('bootstraps admin and returns tokens verifiable with the published JWKS', async () => {
    const res = await postForm('/oauth/token', {
      grant_type: 'password',
      username: ADMIN.username,
      password: ADMIN.password,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 7200 });
    expect(body.refresh_token).toMatch(/^[\w-]{43}$/);

    const discovery = (await (await call('/.well-known/openid-configuration')).json()) as Record<
      string,
      string
    >;
    expect(discovery.issuer).toBe('https://edge.test');
    const jwksUrl = new URL(discovery.jwks_uri ?? '');
    const jwks = (await (await call(jwksUrl.pathname)).json()) as Parameters<
      typeof createLocalJWKSet
    >[0];
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    const { payload, protectedHeader } = await jwtVerify(
      String(body.access_token),
      createLocalJWKSet(jwks),
      { issuer: 'https://edge.test', audience: 'edgetower' },
    );
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: jwks.keys[0]?.kid });
    expect(payload).toMatchObject({ username: 'admin', groups: [] });
    expect(payload.exp! - payload.iat!).toBe(7200);
    expect(payload.jti).toMatch(/[\w-]{36}/);
    expect(typeof payload.sub).toBe('string');
  });

  it('lets a seeded user log in and rejects a wrong password as invalid_grant', async () => {
    const user = await seedUser({ name: 'alice' });
    expect(await login('alice', user.password)).toMatch(/^ey/);
    const res = await postForm('/oauth/token', {
      grant_type: 'password',
      username: 'alice',
      password: 'wrong-password',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_grant',
      code: 'invalid_grant',
      requestId: res.headers.get('x-request-id'),
    });
    expect(env.ADMIN_PASSWORD).toBe(ADMIN.password);
  });
});

describe('authenticate middleware', () => {
  it('refuses /api calls without or with a bad token and lets a valid one through', async () => {
    const none = await call('/api/v1/nothing-here');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const bad = await call('/api/v1/nothing-here', { headers: { authorization: 'Bearer ey.x.y' } });
    expect(bad.status).toBe(401);
    const token = await login(ADMIN.username, ADMIN.password);
    const ok = await call('/api/v1/nothing-here', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(ok.status).toBe(404); // authenticated, then no such route
  });
});
