import { env } from 'cloudflare:workers';

const tenancyTables = [
  'users',
  'workspaces',
  'clusters',
  'namespaces',
  'groups',
  'group_members',
  'roles',
  'role_bindings',
];

/**
 * Every row of the tenancy tables, to prove a request changed nothing.
 * Login bookkeeping (`last_login_at`, failure counters) is left out.
 */
export async function tenancySnapshot(): Promise<Record<string, unknown[]>> {
  const snapshot: Record<string, unknown[]> = {};
  for (const table of tenancyTables) {
    const { results } = await env.DB.prepare(`select * from ${table} order by 1, 2`).all();
    snapshot[table] = results.map((row) => {
      const {
        last_login_at: _a,
        failed_logins: _b,
        failed_login_window_start: _c,
        locked_until: _d,
        ...rest
      } = row;
      return rest;
    });
  }
  return snapshot;
}
