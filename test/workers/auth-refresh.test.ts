import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { setUserPassword } from '../../db/queries/users';
import { auditEvents, users } from '../../db/schema';
import { ADMIN, call, loginTokens, postForm, seedUser, type TokenResponse } from './support/auth';

afterEach(() => {
  vi.useRealTimers();
});

const refresh = (token: string) =>
  postForm('/oauth/token', { grant_type: 'refresh_token', refresh_token: token });

describe('refresh tokens', () => {
  it('rotate on every use and keep working along the chain', async () => {
    const first = await loginTokens(ADMIN.username, ADMIN.password);
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(200);
    const second = (await res.json()) as TokenResponse;
    expect(second.token_type).toBe('Bearer');
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(second.access_token).not.toBe(first.access_token);
    const third = await refresh(second.refresh_token);
    expect(third.status).toBe(200);
  });

  it('revoke the whole family when a rotated token is presented again', async () => {
    const first = await loginTokens(ADMIN.username, ADMIN.password);
    const second = (await (await refresh(first.refresh_token)).json()) as TokenResponse;

    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(400);
    const body = (await replay.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_grant');
    expect(body.error_description).toMatch(/already used/);
    // The legitimate successor is dead too: the family is revoked.
    expect((await refresh(second.refresh_token)).status).toBe(400);
    const [event] = await createDb(env.DB)
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.name, 'refresh-token-reuse'));
    expect(event).toMatchObject({ user: 'admin', verb: 'login', outcome: 'denied', status: 400 });
    // Other sessions are unaffected.
    const other = await loginTokens(ADMIN.username, ADMIN.password);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it('let only one of two concurrent uses win; the loser revokes the family', async () => {
    const first = await loginTokens(ADMIN.username, ADMIN.password);
    const results = await Promise.all([refresh(first.refresh_token), refresh(first.refresh_token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    const winner = (await results.find((r) => r.status === 200)!.json()) as TokenResponse;
    expect((await refresh(winner.refresh_token)).status).toBe(400);
  });

  it('expire after REFRESH_TOKEN_TTL_SECONDS', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const first = await loginTokens(ADMIN.username, ADMIN.password);
    vi.setSystemTime(start + 2_592_000_000 + 1000);
    const res = await refresh(first.refresh_token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'The refresh token is expired.',
    });
  });

  it('stop working for disabled users', async () => {
    const user = await seedUser({ name: 'gone' });
    const tokens = await loginTokens(user.name, user.password);
    await createDb(env.DB).update(users).set({ status: 'disabled' }).where(eq(users.id, user.id));
    const res = await refresh(tokens.refresh_token);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
  });

  it('refuses unknown and missing refresh tokens', async () => {
    const unknown = await refresh('A'.repeat(43));
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ error: 'invalid_grant' });
    const missing = await postForm('/oauth/token', { grant_type: 'refresh_token' });
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('POST /oauth/revoke', () => {
  it('revokes a refresh token family and answers 200 for unknown tokens', async () => {
    const tokens = await loginTokens(ADMIN.username, ADMIN.password);
    const res = await postForm('/oauth/revoke', { token: tokens.refresh_token });
    expect(res.status).toBe(200);
    expect((await refresh(tokens.refresh_token)).status).toBe(400);

    expect((await postForm('/oauth/revoke', { token: 'never-issued' })).status).toBe(200);
    expect((await postForm('/oauth/revoke', { token: tokens.access_token })).status).toBe(200);
    const missing = await postForm('/oauth/revoke', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('GET /oauth/userinfo', () => {
  it('describes the bearer of an access token', async () => {
    const { access_token } = await loginTokens(ADMIN.username, ADMIN.password);
    const res = await call('/oauth/userinfo', {
      headers: { authorization: `Bearer ${access_token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      preferred_username: 'admin',
      name: 'admin',
      groups: [],
      platform_role: 'platform-admin',
    });
  });

  it('answers 401 invalid_token without a valid bearer token', async () => {
    const none = await call('/oauth/userinfo');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token"/);
    expect(await none.json()).toMatchObject({ error: 'invalid_token' });
    const bad = await call('/oauth/userinfo', { headers: { authorization: 'Bearer nope' } });
    expect(bad.status).toBe(401);
  });
});

describe('password change', () => {
  it('revokes the refresh tokens issued with the old password', async () => {
    const user = await seedUser({ name: 'rotator' });
    const tokens = await loginTokens(user.name, user.password);
    await setUserPassword(createDb(env.DB), user.id, 'a-brand-new-secret');
    expect((await refresh(tokens.refresh_token)).status).toBe(400);
    expect((await loginTokens(user.name, 'a-brand-new-secret')).access_token).toMatch(/^ey/);
  });
});
