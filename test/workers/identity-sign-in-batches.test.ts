/**
 * The federated callback reads the link and the principal in one batch and
 * writes a sign-in (stamps, lockout reset, group mapping, refresh token,
 * audit row) in another: these pin that the fewer round trips still write
 * and refuse exactly what they must.
 */
import { env } from 'cloudflare:workers';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../../db/client';
import { findLinkedPrincipal } from '../../db/queries/identities';
import { loadPrincipal } from '../../db/queries/principal';
import { postForm } from './support/auth';
import { adminApi, ldapConfig, ldapDirectory, slapd } from './support/identity';
import { browserSignIn, oidcServer } from './support/oidc-flow';

const db = createDb(env.DB);
const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

const carol = () =>
  env.DB.prepare('select id, failed_logins, locked_until, last_login_at from users where name = ?')
    .bind('carol-jones')
    .first<{
      id: string;
      failed_logins: number;
      locked_until: number | null;
      last_login_at: number;
    }>();

const count = async (sql: string) =>
  (await env.DB.prepare(sql).first<{ n: number }>())?.n ?? Number.NaN;

const successAudits = () =>
  count(
    "select count(*) as n from audit_events where verb = 'login' and user = 'Carol_Jones' and outcome = 'success'",
  );

beforeAll(async () => {
  expect((await adminApi('POST', '/api/v1/workspaces', { name: 'ws-b' })).status).toBe(201);
  expect((await adminApi('POST', '/api/v1/workspaces/ws-b/groups', { name: 'sre' })).status).toBe(
    201,
  );
  const server = oidcServer();
  const res = await adminApi('POST', '/api/v1/identity-providers', {
    name: 'corp-oidc',
    type: 'oidc',
    config: {
      issuer: server.issuer,
      clientId: server.clientId,
      clientSecret: server.clientSecret,
      scopes: ['openid', 'profile', 'email', 'groups'],
    },
    groupMappings: [{ from: 'sre', workspace: 'ws-b', group: 'sre' }],
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  // The first sign-in creates and links the user (the path with no link to read).
  expect((await browserSignIn('corp-oidc', { account: 'carol-sub-1' })).status).toBe(200);
});

describe('federated sign-in round trips', () => {
  it('reads the same principal through the link as by user id, and nothing for an unknown identity', async () => {
    const provider = await env.DB.prepare(
      "select id from identity_providers where name = 'corp-oidc'",
    ).first<{ id: string }>();
    const providerId = provider?.id ?? '';
    const linked = await findLinkedPrincipal(db, providerId, 'carol-sub-1');
    const user = await carol();
    expect(linked?.identity.userId).toBe(user?.id);
    expect(linked?.loaded).toEqual(await loadPrincipal(db, user?.id ?? ''));
    expect(linked?.loaded.principal.groups).toEqual(['edgetower:ws-b:sre']);
    expect(linked?.groupIds).toHaveLength(1);
    expect(await findLinkedPrincipal(db, providerId, 'nobody-sub')).toBeUndefined();
  });

  it('a repeat sign-in writes its stamps, lockout reset, refresh token and audit row together', async () => {
    await env.DB.prepare(
      "update users set failed_logins = 3, last_login_at = 0 where name = 'carol-jones'",
    ).run();
    const audits = await successAudits();
    const res = await browserSignIn('corp-oidc', { account: 'carol-sub-1' });
    expect(res.status, await res.clone().text()).toBe(200);
    const tokens = await json(res);
    expect(decodeJwt(String(tokens.access_token))).toMatchObject({
      username: 'carol-jones',
      groups: ['edgetower:ws-b:sre'],
    });
    const user = await carol();
    expect(user?.failed_logins).toBe(0);
    expect(user?.last_login_at).toBeGreaterThan(0);
    expect(await successAudits()).toBe(audits + 1);
    // The refresh token written in that batch is a real one.
    const refreshed = await postForm('/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: String(tokens.refresh_token),
    });
    expect(refreshed.status).toBe(200);
  });

  it('a sign-in that changes memberships gives the token the groups it just wrote', async () => {
    await env.DB.prepare(
      "delete from group_members where user_id = (select id from users where name = 'carol-jones')",
    ).run();
    const res = await browserSignIn('corp-oidc', { account: 'carol-sub-1' });
    expect(res.status).toBe(200);
    expect(decodeJwt(String((await json(res)).access_token)).groups).toEqual([
      'edgetower:ws-b:sre',
    ]);
    expect(
      await count(
        "select count(*) as n from group_members where user_id = (select id from users where name = 'carol-jones')",
      ),
    ).toBe(1);
  });

  it('a disabled linked account is refused and audited, and nothing of a sign-in is written', async () => {
    await env.DB.prepare(
      "update users set status = 'disabled', failed_logins = 2, last_login_at = 0 where name = 'carol-jones'",
    ).run();
    const tokensBefore = await count('select count(*) as n from refresh_tokens');
    const audits = await successAudits();
    const res = await browserSignIn('corp-oidc', { account: 'carol-sub-1' });
    expect(res.status).toBe(403);
    expect(await json(res)).toMatchObject({ message: 'This account is disabled.' });
    expect(await count('select count(*) as n from refresh_tokens')).toBe(tokensBefore);
    expect(await successAudits()).toBe(audits);
    expect(
      await count(
        "select count(*) as n from audit_events where verb = 'login' and user = 'Carol_Jones' and outcome = 'denied' and status = 403",
      ),
    ).toBe(1);
    const user = await carol();
    expect(user?.failed_logins).toBe(2);
    expect(user?.last_login_at).toBe(0);
    await env.DB.prepare("update users set status = 'active' where name = 'carol-jones'").run();
  });
});

describe('LDAP password grant round trips', () => {
  const { bob } = ldapDirectory.users;
  const login = (password: string) =>
    postForm('/oauth/token', {
      grant_type: 'password',
      username: bob.uid,
      password,
      idp: 'batch-ldap',
    });
  const bobRow = () =>
    env.DB.prepare("select failed_logins, last_login_at from users where name = 'bob'").first<{
      failed_logins: number;
      last_login_at: number;
    }>();
  // The lockout counts guesses per canonical login name (login_throttles), not on the user row.
  const bobGuesses = async () =>
    (
      await env.DB.prepare("select attempts from login_throttles where key = 'bob'").first<{
        attempts: number;
      }>()
    )?.attempts ?? 0;
  const bobAudits = (outcome: string) =>
    count(
      `select count(*) as n from audit_events where verb = 'login' and user = 'bob' and outcome = '${outcome}'`,
    );

  beforeAll(async () => {
    slapd();
    const res = await adminApi('POST', '/api/v1/identity-providers', {
      name: 'batch-ldap',
      type: 'ldap',
      config: ldapConfig({}),
      groupMappings: [{ from: 'developers', workspace: 'ws-b', group: 'sre' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect((await login(bob.password)).status).toBe(200);
  });

  it('a repeat sign-in after a failure resets the counter with its refresh token and audit row', async () => {
    expect((await login('wrong-password')).status).toBe(400);
    expect(await bobGuesses()).toBe(1);
    await env.DB.prepare("update users set last_login_at = 0 where name = 'bob'").run();
    const successes = await bobAudits('success');
    const res = await login(bob.password);
    expect(res.status).toBe(200);
    const tokens = (await res.json()) as Record<string, unknown>;
    expect(decodeJwt(String(tokens.access_token))).toMatchObject({
      username: 'bob',
      groups: ['edgetower:ws-b:sre'],
    });
    expect(await bobGuesses()).toBe(0);
    expect((await bobRow())?.last_login_at).toBeGreaterThan(0);
    expect(await bobAudits('success')).toBe(successes + 1);
    const refreshed = await postForm('/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: String(tokens.refresh_token),
    });
    expect(refreshed.status).toBe(200);
  });

  it('a disabled account is refused before any sign-in write', async () => {
    await env.DB.prepare(
      "update users set status = 'disabled', last_login_at = 0 where name = 'bob'",
    ).run();
    const tokensBefore = await count('select count(*) as n from refresh_tokens');
    const successes = await bobAudits('success');
    const res = await login(bob.password);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error_description: 'This account is disabled.' });
    expect(await count('select count(*) as n from refresh_tokens')).toBe(tokensBefore);
    expect(await bobAudits('success')).toBe(successes);
    expect((await bobRow())?.last_login_at).toBe(0);
    await env.DB.prepare("update users set status = 'active' where name = 'bob'").run();
  });
});
