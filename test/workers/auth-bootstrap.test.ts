import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { findUserByName } from '../../db/queries/users';
import { app } from '../../functions/app';
import { bootstrapAdmin } from '../../functions/auth/bootstrap';
import { ApiError } from '../../functions/errors';
import { ADMIN } from './support/auth';

// This file's D1 starts empty; the tests run in order against it.
const db = createDb(env.DB);
const tokenRequest = (testEnv: typeof env) =>
  app.request(
    '/oauth/token',
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', ...ADMIN }).toString(),
    },
    testEnv,
  );

describe('bootstrap of the admin user', () => {
  it('without ADMIN_PASSWORD creates nothing and says how to set it', async () => {
    const unset = { ...env, ADMIN_PASSWORD: undefined };
    const error = await bootstrapAdmin(db, unset).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).code).toBe('not_bootstrapped');
    expect((error as ApiError).message).toMatch(/wrangler secret put ADMIN_PASSWORD.*\.dev\.vars/);

    const res = await tokenRequest(unset);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { code: string; message: string; requestId: string };
    expect(body.code).toBe('not_bootstrapped');
    expect(body.message).toMatch(/ADMIN_PASSWORD/);
    expect(body.requestId).toBeTruthy();
    expect(await findUserByName(db, 'admin')).toBeUndefined();
  });

  it('refuses a too short ADMIN_PASSWORD', async () => {
    const error = await bootstrapAdmin(db, { ...env, ADMIN_PASSWORD: 'short' }).catch(
      (e: unknown) => e,
    );
    expect((error as ApiError).code).toBe('not_bootstrapped');
    expect(await findUserByName(db, 'admin')).toBeUndefined();
  });

  it('without SECRETS_KEY the first login is a 503 that says how to set it, not a 500', async () => {
    for (const SECRETS_KEY of [undefined, 'dG9vLXNob3J0']) {
      const res = await tokenRequest({ ...env, SECRETS_KEY });
      expect(res.status).toBe(503);
      const body = (await res.json()) as { code: string; message: string };
      expect(body.code).toBe('secrets_key_missing');
      expect(body.message).toMatch(/openssl rand -base64 32/);
    }
  });

  it('with ADMIN_PASSWORD creates admin as platform-admin, once', async () => {
    expect(await bootstrapAdmin(db, env)).toBe('exists'); // made by the login attempts above
    const admin = await findUserByName(db, 'admin');
    expect(admin?.platformRole).toBe('platform-admin');
    expect(admin?.passwordHash).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect((await tokenRequest(env)).status).toBe(200);
    expect(await bootstrapAdmin(db, env)).toBe('exists');
  });
});
