import { createScheduledController } from 'cloudflare:test';
import { env, exports } from 'cloudflare:workers';
import {
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  jwtVerify,
} from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createDb } from '../../db/client';
import { insertSigningKey } from '../../db/queries/signing-keys';
import { signAccessToken } from '../../functions/auth/access-token';
import worker from '../../functions/index';
import { ADMIN, call, login } from './support/auth';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const jwks = async () => (await (await call('/.well-known/jwks.json')).json()) as JSONWebKeySet;
const kidOf = (token: string) => decodeProtectedHeader(token).kid;
const whoami = (token: string) =>
  call('/api/v1/tokens', { headers: { authorization: `Bearer ${token}` } });
const runCron = (at: number) =>
  worker.scheduled(createScheduledController({ scheduledTime: at, cron: '*/15 * * * *' }), env);

afterEach(() => {
  vi.useRealTimers();
});

describe('access tokens', () => {
  it('publishes OIDC discovery with every endpoint', async () => {
    const res = await call('/.well-known/openid-configuration');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      issuer: 'https://edge.test',
      jwks_uri: 'https://edge.test/.well-known/jwks.json',
      token_endpoint: 'https://edge.test/oauth/token',
      userinfo_endpoint: 'https://edge.test/oauth/userinfo',
      revocation_endpoint: 'https://edge.test/oauth/revoke',
      grant_types_supported: ['password', 'refresh_token'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
  });

  it('expire after ACCESS_TOKEN_TTL_SECONDS (time controlled)', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const token = await login(ADMIN.username, ADMIN.password);
    vi.setSystemTime(start + 7199_000);
    expect((await whoami(token)).status).toBe(200);
    vi.setSystemTime(start + 7201_000);
    const res = await whoami(token);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { code: string }).code).toBe('unauthorized');
  });

  it('refuse tampered tokens, other issuers and unsigned tokens', async () => {
    const token = await login(ADMIN.username, ADMIN.password);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(atob(payload!.replace(/-/g, '+').replace(/_/g, '/')));
    const forged = btoa(JSON.stringify({ ...claims, username: 'root' })).replace(/=+$/, '');
    expect((await whoami(`${header}.${forged}.${signature}`)).status).toBe(401);
    const none = btoa(JSON.stringify({ alg: 'none', typ: 'JWT' })).replace(/=+$/, '');
    expect((await whoami(`${none}.${payload}.`)).status).toBe(401);
    // Same token presented to a different host: the issuer does not match.
    const other = await exports.default.fetch('https://other.test/api/v1/tokens', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(other.status).toBe(401);
  });

  it('rotate on the cron trigger; previous keys stay published until their tokens expire', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const start = Date.now();
    const first = await login(ADMIN.username, ADMIN.password);
    const firstKid = kidOf(first);

    // Before SIGNING_KEY_ROTATION_DAYS (30) nothing changes.
    await runCron(start + DAY);
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([firstKid]);

    // Just before rotation a fresh token is signed by the old key...
    vi.setSystemTime(start + 30 * DAY - 60_000);
    const old = await login(ADMIN.username, ADMIN.password);
    expect(kidOf(old)).toBe(firstKid);

    // ...the cron rotates; both keys are published and the old token still works.
    vi.setSystemTime(start + 30 * DAY + 1000);
    await runCron(Date.now());
    const published = (await jwks()).keys.map((k) => k.kid);
    expect(published).toHaveLength(2);
    expect(published).toContain(firstKid);
    expect((await whoami(old)).status).toBe(200);
    await expect(
      jwtVerify(old, createLocalJWKSet(await jwks()), { issuer: 'https://edge.test' }),
    ).resolves.toBeDefined();

    const fresh = await login(ADMIN.username, ADMIN.password);
    expect(kidOf(fresh)).not.toBe(firstKid);
    expect(published).toContain(kidOf(fresh));

    // Once every token of the old key has expired, the cron drops it.
    vi.setSystemTime(start + 30 * DAY + 3 * HOUR);
    await runCron(Date.now());
    expect((await jwks()).keys.map((k) => k.kid)).toEqual([kidOf(fresh)]);
    expect((await whoami(old)).status).toBe(401);
    const later = await login(ADMIN.username, ADMIN.password);
    expect(kidOf(later)).toBe(kidOf(fresh));
    expect((await whoami(later)).status).toBe(200);
    expect(env.SIGNING_KEY_ROTATION_DAYS).toBe('30');
  });
});

// Last: it adds a key to this file's database.
describe('keys made elsewhere', () => {
  it('verify tokens signed by a key another isolate made, looked up by kid', async () => {
    const mine = await login(ADMIN.username, ADMIN.password); // this isolate's keys are cached now
    const sub = decodeJwt(mine).sub ?? '';
    const db = createDb(env.DB);
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const sign = (kid: string) =>
      signAccessToken(
        { kid, privateKey },
        { userId: sub, username: 'admin', groups: [] },
        { issuer: 'https://edge.test', ttlSeconds: 60 },
      );
    await insertSigningKey(db, {
      kid: 'from-elsewhere',
      publicJwk: (await exportJWK(publicKey)) as JsonWebKey,
      privateKeyEncrypted: 'v1.unused.unused',
      createdAt: new Date(),
    });
    expect((await whoami((await sign('from-elsewhere')).token)).status).toBe(200);
    expect((await whoami((await sign('never-published')).token)).status).toBe(401);
  });
});
