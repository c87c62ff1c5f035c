import { inject } from 'vitest';
import { ldapDirectory } from '../../support/slapd';
import { adminToken, bearer, call } from './auth';

/** The loopback slapd started by identity-global-setup.ts; throws with the fix when absent. */
export function slapd() {
  const server = inject('slapd');
  if (!server)
    throw new Error(
      'slapd is not running: identity-global-setup.ts starts it (`npm test` installs slapd).',
    );
  return server;
}

/** An LDAP provider config for the seeded directory (override any field). */
export function ldapConfig(overrides: Record<string, unknown> = {}) {
  const server = slapd();
  return {
    host: server.host,
    port: server.port,
    managerDN: ldapDirectory.managerDN,
    managerPassword: ldapDirectory.managerPassword,
    userSearchBase: ldapDirectory.userSearchBase,
    groupSearchBase: ldapDirectory.groupSearchBase,
    ...overrides,
  };
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

/** A JSON API call with the admin's token unless `token` is given. */
export async function adminApi(
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<JsonResponse> {
  const res = await call(path, {
    method,
    headers: bearer(token ?? (await adminToken())),
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

export { ldapDirectory };
