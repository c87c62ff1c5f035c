/**
 * Issue #12, attacks on accounts: self-service through API tokens (1), the
 * login lockout (4) and `mixed` identity providers (5). Each case failed on
 * the code before the fix.
 */
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../../db/client';
import { createFederatedUser } from '../../../db/queries/identities';
import { ldapPlugin } from '../../../functions/identity/plugins/ldap';
import { ADMIN, bearer, call, login, postForm, seedUser } from '../support/auth';
import { adminApi, ldapConfig, ldapDirectory, slapd } from '../support/identity';

const db = createDb(env.DB);
const { bob, alice } = ldapDirectory.users;

const api = async (method: string, path: string, token: string, body?: unknown) => {
  const res = await call(path, {
    method,
    headers: bearer(token),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
};

const apiToken = async (owner: string, body: Record<string, unknown>) => {
  const res = await api('POST', '/api/v1/tokens', owner, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { token: string; expiresAt: string | null };
};

const guess = (username: string, password: string, idp?: string) =>
  postForm('/oauth/token', {
    grant_type: 'password',
    username,
    password,
    ...(idp ? { idp } : {}),
  });

/** A login answer without what differs per request anyway (its request id). */
async function answer(res: Response) {
  const body = (await res.json()) as Record<string, unknown>;
  delete body.requestId;
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body };
}

/** Counts full-cost password checks (PBKDF2 at 100000 iterations): the guesses actually judged. */
function countJudged() {
  const derive = vi.spyOn(crypto.subtle, 'deriveBits');
  return {
    get judged() {
      return derive.mock.calls.filter(
        (c) => (c[0] as { iterations?: number }).iterations === 100_000,
      ).length;
    },
    restore: () => derive.mockRestore(),
  };
}

async function createLdapProvider(name: string, extra: Record<string, unknown> = {}) {
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name,
    type: 'ldap',
    config: ldapConfig(),
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('attack 1: self-service goes through can() and token scopes', () => {
  it('a token scoped to create:alerts cannot change its owner’s password or profile', async () => {
    const owner = await seedUser({ name: 'prom-owner' });
    const session = await login(owner.name, owner.password);
    const { token } = await apiToken(session, { name: 'prometheus', scopes: ['create:alerts'] });
    const put = await api('PUT', `/api/v1/users/${owner.name}`, token, {
      password: 'taken-over-by-token',
      currentPassword: owner.password,
    });
    expect(put.status).toBe(403);
    const profile = await api('PUT', `/api/v1/users/${owner.name}`, token, { displayName: 'x' });
    expect(profile.status).toBe(403);
    // Reading the owner is outside create:alerts too.
    expect((await api('GET', `/api/v1/users/${owner.name}`, token)).status).toBe(403);
    expect((await api('GET', '/api/v1/users', token)).status).toBe(403);
    expect((await api('GET', '/api/v1/me', token)).status).toBe(403);
    const userinfo = await call('/oauth/userinfo', { headers: bearer(token) });
    expect(userinfo.status).toBe(403);
    expect(await userinfo.json()).toMatchObject({ error: 'insufficient_scope' });
    // Nothing changed: the old password still signs in.
    expect(await login(owner.name, owner.password)).toMatch(/^ey/);
    // A token whose scopes allow it still needs the current password.
    const { token: editor } = await apiToken(session, {
      name: 'editor',
      scopes: ['update:users', 'get:users'],
    });
    expect(
      (await api('PUT', `/api/v1/users/${owner.name}`, editor, { displayName: 'Prom' })).status,
    ).toBe(200);
    const noCurrent = await api('PUT', `/api/v1/users/${owner.name}`, editor, {
      password: 'taken-over-by-token',
    });
    expect(noCurrent).toMatchObject({ status: 400, body: { code: 'current_password_required' } });
  });

  it('a password change needs the current password; wrong ones count toward the lockout', async () => {
    const user = await seedUser({ name: 'changer' });
    const session = await login(user.name, user.password);
    const missing = await api('PUT', `/api/v1/users/${user.name}`, session, {
      password: 'a-brand-new-secret',
    });
    expect(missing).toMatchObject({ status: 400, body: { code: 'current_password_required' } });
    const wrong = await api('PUT', `/api/v1/users/${user.name}`, session, {
      password: 'a-brand-new-secret',
      currentPassword: 'not-the-password',
    });
    expect(wrong).toMatchObject({ status: 403, body: { code: 'current_password_invalid' } });
    const right = await api('PUT', `/api/v1/users/${user.name}`, session, {
      password: 'a-brand-new-secret',
      currentPassword: user.password,
    });
    expect(right.status, JSON.stringify(right.body)).toBe(200);
    expect(await login(user.name, 'a-brand-new-secret')).toMatch(/^ey/);

    // A stolen session cannot brute-force the current password: the login lockout applies.
    const session2 = await login(user.name, 'a-brand-new-secret');
    for (let i = 0; i < 5; i++)
      await api('PUT', `/api/v1/users/${user.name}`, session2, {
        password: 'yet-another-secret',
        currentPassword: `guess-${i}`,
      });
    const locked = await api('PUT', `/api/v1/users/${user.name}`, session2, {
      password: 'yet-another-secret',
      currentPassword: 'a-brand-new-secret',
    });
    expect(locked).toMatchObject({ status: 429, body: { code: 'account_locked' } });
  });

  it('managers reset someone else’s password without it, never their own', async () => {
    const target = await seedUser({ name: 'forgot-it' });
    const mgr = await seedUser({ name: 'umgr', platformRole: 'users-manager' });
    const mgrSession = await login(mgr.name, mgr.password);
    const reset = await api('PUT', `/api/v1/users/${target.name}`, mgrSession, {
      password: 'reset-by-manager',
    });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(await login(target.name, 'reset-by-manager')).toMatch(/^ey/);
    const admin = await login(ADMIN.username, ADMIN.password);
    const own = await api('PUT', `/api/v1/users/${ADMIN.username}`, admin, {
      password: 'brand-new-secret-1',
    });
    expect(own).toMatchObject({ status: 400, body: { code: 'current_password_required' } });
    const ownMgr = await api('PUT', `/api/v1/users/${mgr.name}`, mgrSession, {
      password: 'brand-new-secret-2',
    });
    expect(ownMgr).toMatchObject({ status: 400, body: { code: 'current_password_required' } });
  });

  it('a federated-only account cannot give itself a local password', async () => {
    const provider = await adminApi('POST', '/api/v1/identity-providers', {
      name: 'fed-only',
      type: 'ldap',
      config: ldapConfig(),
    });
    expect(provider.status).toBe(201);
    const providerId =
      (
        await env.DB.prepare("select id from identity_providers where name = 'fed-only'").first<{
          id: string;
        }>()
      )?.id ?? '';
    const created = await createFederatedUser(db, {
      name: 'fed-user',
      providerId,
      externalId: 'fed-user-ext',
      externalUsername: 'fed-user',
    });
    expect(created).toBeDefined();
    const admin = await login(ADMIN.username, ADMIN.password);
    const mgrReset = await api('PUT', '/api/v1/users/fed-user', admin, {
      password: 'set-by-the-admin',
    });
    expect(mgrReset.status).toBe(200);
    // Back to federated-only; the user then tries by itself, from a session and from its token.
    await env.DB.prepare("update users set password_hash = null where name = 'fed-user'").run();
    const session = await fedSession(created?.user.id ?? '');
    const { token } = await apiToken(session, { name: 'self' });
    for (const auth of [session, token])
      for (const body of [
        { password: 'i-pick-my-own-1' },
        { password: 'i-pick-my-own-1', currentPassword: 'anything-at-all' },
      ]) {
        const res = await api('PUT', '/api/v1/users/fed-user', auth, body);
        expect(res).toMatchObject({ status: 409, body: { code: 'no_local_password' } });
      }
    const row = await env.DB.prepare(
      "select password_hash from users where name = 'fed-user'",
    ).first<{ password_hash: string | null }>();
    expect(row?.password_hash).toBeNull();
  });

  it('an expiring token cannot mint a token that outlives it', async () => {
    const user = await seedUser({ name: 'minter-owner' });
    const session = await login(user.name, user.password);
    const { token, expiresAt } = await apiToken(session, { name: 'day', expiresInDays: 1 });
    // Asked for no expiry, or a longer one: capped at the maker's.
    const forever = await apiToken(token, { name: 'forever' });
    expect(forever.expiresAt).toBe(expiresAt);
    const longer = await apiToken(token, { name: 'month', expiresInDays: 30 });
    expect(longer.expiresAt).toBe(expiresAt);
    // A session (no maker token) still makes tokens that never expire.
    expect((await apiToken(session, { name: 'long-lived' })).expiresAt).toBeNull();
  });
});

/** A session of a user without a password: an access token signed as the edge would sign it. */
async function fedSession(userId: string): Promise<string> {
  const { loadPrincipal } = await import('../../../db/queries/principal');
  const { currentSigningKey } = await import('../../../functions/auth/signing-keys');
  const { signAccessToken } = await import('../../../functions/auth/access-token');
  const loaded = await loadPrincipal(db, userId);
  const key = await currentSigningKey(db, env);
  const { token } = await signAccessToken(key, loaded!.principal, {
    issuer: 'https://edge.test',
    ttlSeconds: 600,
    now: new Date(),
  });
  return token;
}

describe('attack 4: the lockout is keyed by the canonical name, for every provider', () => {
  beforeAll(async () => {
    slapd();
    await createLdapProvider('corp');
    // bob signs in once: his identity is linked, as an established directory user's would be.
    expect((await guess(bob.uid, bob.password, 'corp')).status).toBe(200);
  });

  it('24 parallel local guesses: at most LOGIN_MAX_FAILURES are judged', async () => {
    const user = await seedUser({ name: 'parallel-target' });
    const spy = countJudged();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => guess(user.name, `wrong-${i}`)),
    );
    expect(spy.judged).toBeLessThanOrEqual(5);
    spy.restore();
    expect(answers.every((a) => a.status === 400 || a.status === 429)).toBe(true);
    expect((await guess(user.name, user.password)).status).toBe(429);
  });

  it('24 parallel LDAP guesses: at most LOGIN_MAX_FAILURES reach the directory', async () => {
    const asked = vi.spyOn(ldapPlugin, 'passwordLogin');
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => guess(bob.uid, `wrong-${i}`, 'corp')),
    );
    // At least one was asked (the spy sees the worker's calls), at most the budget.
    expect(asked.mock.calls.length).toBeGreaterThanOrEqual(1);
    expect(asked.mock.calls.length).toBeLessThanOrEqual(5);
    expect(answers.every((a) => a.status === 400 || a.status === 429)).toBe(true);
    expect((await guess(bob.uid, bob.password, 'corp')).status).toBe(429);
  });

  it('LDAP names with spaces, another case or another Unicode form count against the same account', async () => {
    await createLdapProvider('corp-spaces');
    expect((await guess(alice.uid, alice.password, 'corp-spaces')).status).toBe(200);
    const spellings = [
      ` ${alice.uid}`,
      `${alice.uid} `,
      alice.uid.toUpperCase(),
      ` ${alice.uid.toLowerCase()}  `,
      // Fullwidth letters: NFKC folds them to ASCII, as LDAP's string preparation does.
      alice.uid.replace('A', '\uFF21'),
    ];
    for (const name of spellings)
      expect((await guess(name, 'wrong-password', 'corp-spaces')).status).not.toBe(200);
    const asked = vi.spyOn(ldapPlugin, 'passwordLogin');
    const res = await guess(alice.uid, alice.password, 'corp-spaces');
    expect(res.status).toBe(429);
    expect(asked).not.toHaveBeenCalled();
  });

  it('while locked, a right and a wrong password answer the same, without asking the directory', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    // alice is locked by the case above; every spelling is the same key.
    const asked = vi.spyOn(ldapPlugin, 'passwordLogin');
    const right = await answer(await guess(` ${alice.uid} `, alice.password, 'corp-spaces'));
    const wrong = await answer(await guess(` ${alice.uid} `, 'wrong-password', 'corp-spaces'));
    const plain = await answer(await guess(alice.uid, alice.password, 'corp-spaces'));
    expect(right.status).toBe(429);
    expect(wrong).toEqual(right);
    expect(plain).toEqual(right);
    expect(asked).not.toHaveBeenCalled();

    // Locally too.
    const user = await seedUser({ name: 'oracle-target' });
    for (let i = 0; i < 5; i++) await guess(user.name, 'wrong-password');
    const localRight = await answer(await guess(user.name, user.password));
    const localWrong = await answer(await guess(user.name, 'wrong-password'));
    expect(localRight.status).toBe(429);
    expect(localWrong).toEqual(localRight);
  });

  it('unknown users are counted and answered like known ones', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const known = await seedUser({ name: 'known-user' });
    const runs = async (name: string, idp?: string) => {
      const out = [];
      for (let i = 0; i < 6; i++) out.push(await answer(await guess(name, `wrong-${i}`, idp)));
      return out;
    };
    const forKnown = await runs(known.name);
    const forUnknown = await runs('no-such-user');
    expect(forKnown.map((a) => a.status)).toEqual([400, 400, 400, 400, 429, 429]);
    expect(forUnknown).toEqual(forKnown);
    // Through a directory: an unknown name locks like bob did.
    const ldapUnknown = await runs('mallory', 'corp');
    expect(ldapUnknown.map((a) => a.status)).toEqual([400, 400, 400, 400, 429, 429]);
    // The same PBKDF2 work for an unknown name as for a known one.
    const other = await seedUser({ name: 'known-two' });
    const spy = countJudged();
    await guess('another-stranger', 'wrong');
    const unknownWork = spy.judged;
    await guess(other.name, 'wrong');
    expect(spy.judged - unknownWork).toBe(unknownWork);
    expect(unknownWork).toBe(1);
    spy.restore();
  });

  it('one budget per name across local and every provider', async () => {
    await createLdapProvider('corp-two');
    const carol = await seedUser({ name: 'shared-name' });
    for (let i = 0; i < 3; i++) await guess(carol.name, 'wrong-password');
    for (let i = 0; i < 2; i++) await guess(carol.name, 'wrong-password', 'corp-two');
    expect((await guess(carol.name, carol.password)).status).toBe(429);
  });
});

describe('attack 5: a mixed provider never links to an existing account by name', () => {
  beforeAll(() => {
    slapd();
  });
  // The lockout cases above locked bob and alice for 10 minutes: start an hour later.
  const later = () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3_600_000);
  };

  it('refuses a newcomer whose name is taken, creates no duplicate, and links nothing', async () => {
    later();
    await createLdapProvider('elsewhere');
    // "bob" exists without a local password (made by a provider's first sign-in).
    expect((await guess(bob.uid, bob.password, 'elsewhere')).status).toBe(200);
    const before = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>();
    await createLdapProvider('mixed', { mappingMethod: 'mixed' });
    const res = await guess(bob.uid, bob.password, 'mixed');
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body).toMatchObject({ code: 'identity_name_taken' });
    expect(String(body.message)).toMatch(/link/);
    const links = await adminApi('GET', '/api/v1/identity-providers/mixed/identities');
    expect(links.body.items).toEqual([]);
    const after = await env.DB.prepare('select count(*) as n from users').first<{ n: number }>();
    expect(after?.n).toBe(before?.n);

    // An admin links it: then it signs in as that account.
    const elsewhere = await adminApi('GET', '/api/v1/identity-providers/elsewhere/identities');
    const bobs = (elsewhere.body.items as { externalId: string; user: string }[]).find(
      (i) => i.user === 'bob' || i.user.startsWith('bob'),
    );
    const link = await adminApi('POST', '/api/v1/identity-providers/mixed/identities', {
      externalId: bobs?.externalId,
      user: bobs?.user,
    });
    expect(link.status).toBe(201);
    const linked = await guess(bob.uid, bob.password, 'mixed');
    expect(linked.status).toBe(200);
    expect(
      decodeJwt(String(((await linked.json()) as { access_token: string }).access_token)),
    ).toMatchObject({ username: bobs?.user });
  });

  it('a newcomer with a free name is created as with auto', async () => {
    later();
    await createLdapProvider('mixed-free', {
      mappingMethod: 'mixed',
      config: ldapConfig({ loginAttribute: 'mail' }),
    });
    const res = await guess(alice.mail, alice.password, 'mixed-free');
    expect(res.status).toBe(200);
    const claims = decodeJwt(String(((await res.json()) as { access_token: string }).access_token));
    expect(claims.username).toBe('alice-example-org');
  });
});
