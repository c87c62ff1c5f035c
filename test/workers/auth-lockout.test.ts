import { env } from 'cloudflare:workers';
import { desc, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { auditEvents, users } from '../../db/schema';
import { PRINCIPAL_CACHE_MS } from '../../functions/auth/principal-cache';
import { runHousekeeping } from '../../functions/housekeeping';
import { ADMIN, bearer, call, login, postForm, seedUser } from './support/auth';

const db = createDb(env.DB);
const attempt = (username: string, password: string) =>
  postForm('/oauth/token', { grant_type: 'password', username, password });

afterEach(() => {
  vi.useRealTimers();
});

describe('login lockout', () => {
  it('locks after 5 failures within 10 minutes for 10 minutes, then recovers', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const user = await seedUser({ name: 'mallory-target' });
    for (let i = 0; i < 4; i++) {
      vi.setSystemTime(start + i * 60_000);
      expect((await attempt(user.name, 'wrong-password')).status).toBe(400);
    }
    vi.setSystemTime(start + 4 * 60_000);
    const fifth = await attempt(user.name, 'wrong-password');
    expect(fifth.status).toBe(429);
    expect(fifth.headers.get('retry-after')).toBe('600');
    expect(await fifth.json()).toMatchObject({ error: 'invalid_grant', code: 'invalid_grant' });

    // Locked: even the right password is refused until the lock ends.
    vi.setSystemTime(start + 4 * 60_000 + 599_000);
    const locked = await attempt(user.name, user.password);
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('1');

    vi.setSystemTime(start + 4 * 60_000 + 600_000);
    expect(await login(user.name, user.password)).toMatch(/^ey/);
  });

  it('counts failures only inside the window', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const user = await seedUser({ name: 'slow-typist' });
    for (let i = 0; i < 8; i++) {
      // One failure every 11 minutes: each starts a new window, so the count never reaches 5.
      vi.setSystemTime(start + i * 11 * 60_000);
      expect((await attempt(user.name, 'wrong-password')).status).toBe(400);
    }
    expect(await login(user.name, user.password)).toMatch(/^ey/);
  });

  it('a successful login resets the count', async () => {
    const user = await seedUser({ name: 'forgetful' });
    for (let i = 0; i < 4; i++) await attempt(user.name, 'wrong-password');
    await login(user.name, user.password);
    for (let i = 0; i < 4; i++)
      expect((await attempt(user.name, 'wrong-password')).status).toBe(400);
    expect(await login(user.name, user.password)).toMatch(/^ey/);
  });

  it('spends the same PBKDF2 work on unknown users as on known ones', async () => {
    const user = await seedUser({ name: 'known' });
    const derive = vi.spyOn(crypto.subtle, 'deriveBits');
    try {
      await attempt(user.name, 'wrong-password');
      const known = derive.mock.calls.map((c) => (c[0] as { iterations?: number }).iterations);
      derive.mockClear();
      const res = await attempt('nobody-by-that-name', 'wrong-password');
      const unknown = derive.mock.calls.map((c) => (c[0] as { iterations?: number }).iterations);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_grant' });
      expect(known).toEqual([100_000]);
      expect(unknown).toEqual(known);
    } finally {
      derive.mockRestore();
    }
  });
});

describe('lockout rows', () => {
  it('are purged by the cron once their window and lock are over', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    for (let i = 0; i < 5; i++) await attempt('purge-locked', 'wrong-password');
    await attempt('purge-counted', 'wrong-password');
    const rows = () =>
      env.DB.prepare("select key from login_throttles where key like 'purge-%' order by key").all<{
        key: string;
      }>();
    await runHousekeeping(env, new Date(start + 60_000));
    expect((await rows()).results.map((r) => r.key)).toEqual(['purge-counted', 'purge-locked']);
    await runHousekeeping(env, new Date(start + 601_000));
    expect((await rows()).results).toEqual([]);
  });
});

describe('disabled users', () => {
  it('cannot log in, nor use tokens issued before (within the principal cache age)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const user = await seedUser({ name: 'leaver' });
    const token = await login(user.name, user.password);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    // Disabled behind the API's back (as another isolate would): the cached principal
    // serves for at most PRINCIPAL_CACHE_MS, then the user is refused.
    await db.update(users).set({ status: 'disabled' }).where(eq(users.id, user.id));
    vi.setSystemTime(start + PRINCIPAL_CACHE_MS - 1);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    vi.setSystemTime(start + PRINCIPAL_CACHE_MS);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(401);
    const res = await attempt(user.name, user.password);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: 'invalid_grant',
      error_description: 'This account is disabled.',
    });
  });
});

describe('principal cache', () => {
  it('is cleared by any mutating API request through this isolate', async () => {
    const user = await seedUser({ name: 'cached' });
    const token = await login(user.name, user.password);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    await db.update(users).set({ status: 'disabled' }).where(eq(users.id, user.id));
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    const admin = await login(ADMIN.username, ADMIN.password);
    const mutation = await call('/api/v1/tokens', {
      method: 'POST',
      headers: bearer(admin),
      body: JSON.stringify({ name: 'any-write' }),
    });
    expect(mutation.status).toBe(201);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(401);
  });

  it('survives alert intake, which changes no principal (Prometheus posts every interval)', async () => {
    const user = await seedUser({ name: 'cached-intake' });
    const token = await login(user.name, user.password);
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    await db.update(users).set({ status: 'disabled' }).where(eq(users.id, user.id));
    const admin = await login(ADMIN.username, ADMIN.password);
    const intake = await call('/api/v2/alerts', {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'CacheProbe', cluster: 'nowhere' } }]),
    });
    expect(intake.status).toBe(200);
    // Still the cached principal: the write did not clear the cache …
    expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(200);
    // … and it ages out as always.
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + PRINCIPAL_CACHE_MS);
      expect((await call('/api/v1/tokens', { headers: bearer(token) })).status).toBe(401);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('login audit', () => {
  it('records successes and failures as verb login on sessions', async () => {
    const user = await seedUser({ name: 'audited' });
    await attempt(user.name, 'wrong-password');
    const ok = await attempt(user.name, user.password);
    const events = await db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.user, user.name))
      .orderBy(desc(auditEvents.id));
    expect(events.map((e) => [e.verb, e.resource, e.outcome, e.status])).toEqual([
      ['login', 'sessions', 'success', 200],
      ['login', 'sessions', 'failure', 400],
    ]);
    expect(events[0]?.requestId).toBe(ok.headers.get('x-request-id'));
  });
});
