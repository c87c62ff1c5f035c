import { env } from 'cloudflare:workers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { findApiTokenBySecret } from '../../db/queries/tokens';
import { ADMIN, bearer, call, login, postForm, seedUser } from './support/auth';

interface CreatedToken {
  id: string;
  token: string;
  name: string;
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
}

const createToken = (auth: string, body: unknown) =>
  call('/api/v1/tokens', { method: 'POST', headers: bearer(auth), body: JSON.stringify(body) });
const listTokens = (auth: string, query = '') =>
  call(`/api/v1/tokens${query}`, { headers: bearer(auth) });

afterEach(() => {
  vi.useRealTimers();
});

describe('API tokens', () => {
  it('are created once, listed without secrets, used as their owner, and revoked', async () => {
    const user = await seedUser({ name: 'ci-bot-owner' });
    const jwt = await login(user.name, user.password);
    const res = await createToken(jwt, { name: 'ci', expiresInDays: 30 });
    expect(res.status).toBe(201);
    const created = (await res.json()) as CreatedToken;
    expect(created.token).toMatch(/^et_[\w-]{43}$/);
    expect(created).toMatchObject({ name: 'ci', scopes: [] });
    expect(Date.parse(created.expiresAt ?? '') - Date.parse(created.createdAt)).toBe(
      30 * 86_400_000,
    );

    const listed = (await (await listTokens(created.token)).json()) as {
      items: Record<string, unknown>[];
    };
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0]).toMatchObject({ id: created.id, name: 'ci' });
    expect(JSON.stringify(listed)).not.toContain(created.token);
    expect(listed.items[0]).not.toHaveProperty('token');

    // The secret is stored only as its SHA-256.
    const row = await findApiTokenBySecret(createDb(env.DB), created.token);
    expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(row)).not.toContain(created.token);

    const del = await call(`/api/v1/tokens/${created.id}`, {
      method: 'DELETE',
      headers: bearer(jwt),
    });
    expect(del.status).toBe(204);
    expect((await listTokens(created.token)).status).toBe(401);
    expect(
      (await call(`/api/v1/tokens/${created.id}`, { method: 'DELETE', headers: bearer(jwt) }))
        .status,
    ).toBe(404);
  });

  it('are narrowed by their scopes and cannot mint wider tokens', async () => {
    const jwt = await login(ADMIN.username, ADMIN.password);
    const narrow = (await (
      await createToken(jwt, { name: 'reader', scopes: ['list:tokens'] })
    ).json()) as CreatedToken;
    expect(narrow.scopes).toEqual(['list:tokens']);
    expect((await listTokens(narrow.token)).status).toBe(200);
    // create:tokens is outside its scopes, whatever the admin owner could do.
    const wider = await createToken(narrow.token, { name: 'wider' });
    expect(wider.status).toBe(403);
    const del = await call(`/api/v1/tokens/${narrow.id}`, {
      method: 'DELETE',
      headers: bearer(narrow.token),
    });
    expect(del.status).toBe(404);

    const minter = (await (
      await createToken(jwt, { name: 'minter', scopes: ['create:tokens', 'list:*'] })
    ).json()) as CreatedToken;
    expect((await createToken(minter.token, { name: 'all' })).status).toBe(403);
    expect((await createToken(minter.token, { name: 'x', scopes: ['delete:tokens'] })).status).toBe(
      403,
    );
    expect((await createToken(minter.token, { name: 'ok', scopes: ['list:tokens'] })).status).toBe(
      201,
    );
  });

  it('stop working when they expire and record lastUsedAt at most once a minute', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const jwt = await login(ADMIN.username, ADMIN.password);
    const { token } = (await (
      await createToken(jwt, { name: 'short', expiresInDays: 1 })
    ).json()) as CreatedToken;
    const db = createDb(env.DB);
    expect((await listTokens(token)).status).toBe(200);
    const firstUse = (await findApiTokenBySecret(db, token))?.lastUsedAt?.getTime();
    expect(firstUse).toBe(start);
    vi.setSystemTime(start + 30_000);
    await listTokens(token);
    expect((await findApiTokenBySecret(db, token))?.lastUsedAt?.getTime()).toBe(start);
    vi.setSystemTime(start + 61_000);
    await listTokens(token);
    expect((await findApiTokenBySecret(db, token))?.lastUsedAt?.getTime()).toBe(start + 61_000);
    vi.setSystemTime(start + 86_400_000 + 1);
    expect((await listTokens(token)).status).toBe(401);
  });

  it('are revocable through POST /oauth/revoke', async () => {
    const jwt = await login(ADMIN.username, ADMIN.password);
    const { token } = (await (
      await createToken(jwt, { name: 'revoke-me' })
    ).json()) as CreatedToken;
    expect((await postForm('/oauth/revoke', { token })).status).toBe(200);
    expect((await listTokens(token)).status).toBe(401);
  });

  it("stay private to their owner; platform admins may revoke anyone's", async () => {
    const bob = await seedUser({ name: 'bob' });
    const eve = await seedUser({ name: 'eve' });
    const bobJwt = await login(bob.name, bob.password);
    const eveJwt = await login(eve.name, eve.password);
    const bobs = (await (await createToken(bobJwt, { name: 'bobs' })).json()) as CreatedToken;
    const eveList = (await (await listTokens(eveJwt)).json()) as { items: unknown[] };
    expect(eveList.items).toEqual([]);
    const steal = await call(`/api/v1/tokens/${bobs.id}`, {
      method: 'DELETE',
      headers: bearer(eveJwt),
    });
    expect(steal.status).toBe(404);
    const admin = await login(ADMIN.username, ADMIN.password);
    const byAdmin = await call(`/api/v1/tokens/${bobs.id}`, {
      method: 'DELETE',
      headers: bearer(admin),
    });
    expect(byAdmin.status).toBe(204);
  });

  it('paginate with limit and an opaque cursor', async () => {
    const user = await seedUser({ name: 'pager' });
    const jwt = await login(user.name, user.password);
    for (const name of ['a', 'b', 'c']) expect((await createToken(jwt, { name })).status).toBe(201);
    const page1 = (await (await listTokens(jwt, '?limit=2')).json()) as {
      items: { name: string }[];
      nextCursor?: string;
    };
    expect(page1.items).toHaveLength(2);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = (await (
      await listTokens(jwt, `?limit=2&cursor=${encodeURIComponent(page1.nextCursor ?? '')}`)
    ).json()) as { items: { name: string }[]; nextCursor?: string };
    expect(page2.items).toHaveLength(1);
    expect(page2.nextCursor).toBeUndefined();
    expect(new Set([...page1.items, ...page2.items].map((t) => t.name))).toEqual(
      new Set(['a', 'b', 'c']),
    );
    expect((await listTokens(jwt, '?cursor=garbage')).status).toBe(400);
    expect((await listTokens(jwt, '?limit=500')).status).toBe(400);
  });

  it('refuse bad input', async () => {
    const jwt = await login(ADMIN.username, ADMIN.password);
    const cases: [unknown, string][] = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: 'x', extra: 1 }, ''],
      [{ name: 'x', scopes: ['everything'] }, 'scopes.0'],
      [{ name: 'x', scopes: ['destroy:clusters'] }, 'scopes.0'],
      [{ name: 'x', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'x', expiresInDays: 'soon' }, 'expiresInDays'],
    ];
    for (const [body, path] of cases) {
      const res = await createToken(jwt, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const err = (await res.json()) as { code: string; fields: { path: string }[] };
      expect(err.code).toBe('validation_failed');
      if (path) expect(err.fields.map((f) => f.path)).toContain(path);
    }
    const malformed = await call('/api/v1/tokens', {
      method: 'POST',
      headers: bearer(jwt),
      body: '{"name":',
    });
    expect(malformed.status).toBe(400);
    const wrongType = await call('/api/v1/tokens', {
      method: 'POST',
      headers: { authorization: `Bearer ${jwt}`, 'content-type': 'text/plain' },
      body: 'name=x',
    });
    expect(wrongType.status).toBe(415);
    expect((await createToken('et_not-a-real-token', { name: 'x' })).status).toBe(401);
    expect((await call('/api/v1/tokens')).status).toBe(401);
  });
});
