import { env, exports } from 'cloudflare:workers';
import { createDb } from '../../../db/client';
import { createUser, type NewUser, type PublicUser } from '../../../db/queries/users';
import { ALREADY_EXISTS } from '../../../db/unique';
import { bootstrapAdmin } from '../../../functions/auth/bootstrap';

/** The bootstrap admin's credentials in the test pool (vitest.config.ts sets ADMIN_PASSWORD). */
export const ADMIN = { username: 'admin', password: 'admin-password-for-tests' } as const;

/** A fetch against the worker under test. */
export const call = (path: string, init?: RequestInit) =>
  exports.default.fetch(`https://edge.test${path}`, init);

/** POST a form to the worker (the OAuth endpoints take application/x-www-form-urlencoded). */
export const postForm = (path: string, fields: Record<string, string>, init: RequestInit = {}) =>
  call(path, {
    method: 'POST',
    ...init,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...init.headers },
    body: new URLSearchParams(fields).toString(),
  });

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

/** Logs in through POST /oauth/token and returns the whole token response; throws on failure. */
export async function loginTokens(username: string, password: string): Promise<TokenResponse> {
  const res = await postForm('/oauth/token', { grant_type: 'password', username, password });
  if (res.status !== 200)
    throw new Error(`login of ${username} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as TokenResponse;
}

/** Logs in through POST /oauth/token and returns the access token. */
export async function login(username: string, password: string): Promise<string> {
  return (await loginTokens(username, password)).access_token;
}

/** The bootstrap admin's access token (bootstraps `admin` first if the file's DB has no users). */
export async function adminToken(): Promise<string> {
  await bootstrapAdmin(createDb(env.DB), env);
  return login(ADMIN.username, ADMIN.password);
}

/**
 * Inserts a user straight into this test file's D1 (password hashed as in
 * production). Bootstraps `admin` first, so seeding never stops the admin
 * from existing. Default password: `<name>-password`.
 */
export async function seedUser(
  opts: Omit<NewUser, 'password'> & { password?: string },
): Promise<PublicUser & { password: string }> {
  const db = createDb(env.DB);
  await bootstrapAdmin(db, env);
  const password = opts.password ?? `${opts.name}-password`;
  const user = await createUser(db, { ...opts, password });
  if (user === ALREADY_EXISTS) throw new Error(`seedUser: user "${opts.name}" already exists`);
  return { ...user, password };
}

/** `Authorization: Bearer` headers (plus JSON content type) for API calls. */
export const bearer = (token: string): Record<string, string> => ({
  authorization: `Bearer ${token}`,
  'content-type': 'application/json',
});
