import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareSignIn } from '../support/browser-sign-in';
import { type OidcTestProvider, oidcClient, startOidcProvider } from '../support/oidc-provider';
import { ldapDirectory, type Slapd, startSlapd } from '../support/slapd';
import {
  removeState,
  startWranglerDev,
  testSecrets,
  type WranglerDev,
} from '../support/wrangler-dev';

const publicOrigin = 'https://edge.test';
let edge: WranglerDev;
let slapd: Slapd;
let oidc: OidcTestProvider;
let admin: Record<string, string>;

const edgeFetch = (path: string, init?: RequestInit) => fetch(`${edge.url}${path}`, init);

beforeAll(async () => {
  [slapd, oidc] = await Promise.all([startSlapd(), startOidcProvider()]);
  edge = await startWranglerDev({
    vars: { ALLOW_PRIVATE_IDP_HOSTS: 'true', PUBLIC_URL: publicOrigin },
  });
  const login = await edgeFetch('/oauth/token', {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'password',
      username: 'admin',
      password: testSecrets.ADMIN_PASSWORD,
    }),
  });
  const { access_token } = (await login.json()) as { access_token: string };
  admin = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' };
});

afterAll(async () => {
  await edge?.stop();
  if (edge) await removeState(edge);
  await Promise.all([slapd?.stop(), oidc?.stop()]);
});

async function createProvider(body: Record<string, unknown>) {
  const res = await edgeFetch('/api/v1/identity-providers', {
    method: 'POST',
    headers: admin,
    body: JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(201);
}

describe('identity federation under wrangler dev', () => {
  it('signs an LDAP user in with curl-style password grant, with and without idp', async () => {
    await createProvider({
      name: 'corp',
      type: 'ldap',
      config: {
        host: slapd.host,
        port: slapd.port,
        managerDN: ldapDirectory.managerDN,
        managerPassword: ldapDirectory.managerPassword,
        userSearchBase: ldapDirectory.userSearchBase,
      },
    });
    const { uid, password } = ldapDirectory.users.alice;
    for (const idp of ['corp', undefined]) {
      const res = await edgeFetch('/oauth/token', {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'password',
          username: uid,
          password,
          ...(idp ? { idp } : {}),
        }),
      });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      expect(decodeJwt(access_token).username).toBe('alice-smith-ops');
    }
  });

  it('runs an OIDC browser sign-in for a CLI and exchanges its one-time code', async () => {
    await createProvider({
      name: 'corp-oidc',
      type: 'oidc',
      config: { issuer: oidc.issuer, ...oidcClient, scopes: ['openid', 'profile', 'email'] },
    });
    const redirectUri = 'http://127.0.0.1:18080/cb';
    const callback = await prepareSignIn({ edge: edgeFetch, publicOrigin }, 'corp-oidc', {
      account: 'dave-sub-2',
      loginQuery: { redirect_uri: redirectUri, state: 's1' },
    });
    const res = await callback();
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') ?? '');
    expect(back.searchParams.get('state')).toBe('s1');
    const exchange = await edgeFetch('/oauth/token', {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: back.searchParams.get('code') ?? '',
        redirect_uri: redirectUri,
      }),
    });
    expect(exchange.status).toBe(200);
    const { access_token } = (await exchange.json()) as { access_token: string };
    expect(decodeJwt(access_token).username).toBe('dave');
  });
});
